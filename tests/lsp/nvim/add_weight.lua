-- Headless Neovim drives `mergelint lsp` exactly as a user's editor does (0.7, Debian's; 0.8+ too):
-- open a linear config without weights, wait for missing-required-parameter, apply "Add weight: 1.0"
-- through vim.lsp.buf.code_action() (Neovim's own code-action path, with the menu answered),
-- :write, and check the saved text and that the diagnostic is gone.
--
-- Run:  nvim --headless -n -u NONE -i NONE -c 'luafile tests/lsp/nvim/add_weight.lua'
-- Env:  MERGELINT_PY (a python with mergelint installed; default python3)
--       MERGELINT_NVIM_DIR (folder for the config file; default a new temporary folder)
--       MERGELINT_NVIM_OUT (optional file for the JSON result; it also goes to stdout)
-- Exit status 0 = PASS; on failure :cquit (status 1) and "ok": false with the reason.

local py = os.getenv('MERGELINT_PY') or 'python3'
local out_path = os.getenv('MERGELINT_NVIM_OUT')
local v = vim.version()
local result = { ok = false, steps = {}, nvim = v.major .. '.' .. v.minor .. '.' .. v.patch }
local new_api = vim.fn.has('nvim-0.11') == 1
local get_clients = vim.lsp.get_clients or vim.lsp.get_active_clients
local function call(c, m, ...) if new_api then return c[m](c, ...) else return c[m](...) end end

local TITLE = 'Add weight: 1.0'
local RULE = 'missing-required-parameter'
local BEFORE = 'merge_method: linear\nmodels:\n  - model: org/a\n'
local AFTER = 'merge_method: linear\nmodels:\n  - model: org/a\n    parameters:\n      weight: 1.0'

local function finish(ok, msg)
  result.ok = ok
  result.message = msg
  local json = vim.json.encode(result)
  if out_path and out_path ~= '' then local f = io.open(out_path, 'w'); f:write(json, '\n'); f:close() end
  io.stdout:write(json, '\n')  -- print() goes to stderr in --headless
  for _, c in pairs(get_clients()) do call(c, 'stop') end
  vim.wait(3000, function() return #get_clients() == 0 end, 20)
  vim.cmd(ok and 'qall!' or 'cquit')
end

local function rule_diags(buf)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.code == RULE then table.insert(found, d) end
  end
  return found
end

local ok, err = pcall(function()
  vim.o.swapfile = false
  local dir = os.getenv('MERGELINT_NVIM_DIR')
  if not dir or dir == '' then dir = vim.fn.tempname() end
  vim.fn.mkdir(dir, 'p')
  local path = dir .. '/merge.yml'
  local fh = io.open(path, 'w'); fh:write(BEFORE); fh:close()
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].filetype = 'yaml'  -- -u NONE: no filetype detection; Neovim sends the filetype as languageId

  local config = {
    name = 'mergelint',
    cmd = { py, '-m', 'mergelint', 'lsp' },
    root_dir = dir,
    on_exit = function(code) result.server_exit = code end,
  }
  local client_id
  if new_api then
    client_id = vim.lsp.start(config, { bufnr = buf })
  else
    client_id = vim.lsp.start_client(config)
    if client_id then vim.lsp.buf_attach_client(buf, client_id) end
  end
  assert(client_id, 'starting the client failed')
  local client = vim.lsp.get_client_by_id(client_id)
  assert(vim.wait(20000, function() return client.initialized end, 20), 'server did not initialize')
  table.insert(result.steps, 'initialized')

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
finish(ok, ok and 'PASS' or tostring(err))
