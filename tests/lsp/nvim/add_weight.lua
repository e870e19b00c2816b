-- Headless Neovim drives `mergelint lsp` exactly as a user's editor does (0.7, Debian's; 0.8+ too):
-- open a linear config without weights, wait for missing-required-parameter, apply "Add weight: 1.0"
-- through vim.lsp.buf.code_action() (Neovim's own code-action path, with the menu answered),
-- :write, and check the saved text and that the diagnostic is gone.
--
-- Run:  nvim --headless -n -u NONE -i NONE -c 'luafile tests/lsp/nvim/add_weight.lua'
-- Env:  MERGELINT_NVIM_DIR (folder for the config file; default a new temporary folder), and
--       harness.lua's (MERGELINT_PY, MERGELINT_NVIM_OUT); exit status as harness.lua says.

local h = dofile(debug.getinfo(1, 'S').source:sub(2):match('(.*/)') .. 'harness.lua')
local result = h.result

local TITLE = 'Add weight: 1.0'
local RULE = 'missing-required-parameter'
local BEFORE = 'merge_method: linear\nmodels:\n  - model: org/a\n'
local AFTER = 'merge_method: linear\nmodels:\n  - model: org/a\n    parameters:\n      weight: 1.0'

local function rule_diags(buf)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.code == RULE then table.insert(found, d) end
  end
  return found
end

local ok, err = pcall(function()
  local dir = os.getenv('MERGELINT_NVIM_DIR')
  if not dir or dir == '' then dir = vim.fn.tempname() end
  vim.fn.mkdir(dir, 'p')
  local path = dir .. '/merge.yml'
  local fh = io.open(path, 'w'); fh:write(BEFORE); fh:close()
  local buf = h.attach(path, dir)

  assert(vim.wait(20000, function() return #rule_diags(buf) > 0 end, 20), 'no ' .. RULE .. ' diagnostic')
  local d = rule_diags(buf)[1]
  result.diagnostic = { lnum = d.lnum, col = d.col, end_col = d.end_col, message = d.message, severity = d.severity }
  assert(d.lnum == 2 and d.col == 11 and d.severity == vim.diagnostic.severity.ERROR, 'unexpected diagnostic')
  table.insert(result.steps, 'diagnostic')

  -- the user's path: cursor on the diagnostic, vim.lsp.buf.code_action(), pick the action from the menu
  local offered = {}
  vim.ui.select = function(items, _, on_choice)  -- 0.7: items are {client_id, action}; 0.10+: {action=, ctx=}
    for i, it in ipairs(items) do
      local a = it.action or it[2]
      table.insert(offered, a.title)
      if a.title == TITLE then result.code_action = a.title; return on_choice(it, i) end
    end
    on_choice(nil)
  end
  vim.api.nvim_win_set_cursor(0, { d.lnum + 1, d.col })
  vim.lsp.buf.code_action()
  assert(vim.wait(20000, function()
    return result.code_action ~= nil
      and table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n'):find('weight: 1.0', 1, true) ~= nil
  end, 20), 'code action not offered or not applied; offered: ' .. vim.inspect(offered))
  result.offered = offered
  vim.cmd('write')
  table.insert(result.steps, 'written')

  local text = table.concat(vim.fn.readfile(path), '\n')
  result.file_after = text
  assert(text == AFTER, 'saved text differs: ' .. vim.inspect(text))
  assert(vim.wait(20000, function() return #rule_diags(buf) == 0 end, 20), 'diagnostic not cleared')
  table.insert(result.steps, 'cleared')
end)
h.finish(ok, ok and 'PASS' or tostring(err))
