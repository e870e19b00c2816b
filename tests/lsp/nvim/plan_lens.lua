-- Headless Neovim shows the plan's code lens above merge_method, through vim.lsp.codelens (0.7+),
-- as README's setup turns it on; on 0.10+ it also turns on inlay hints and records them.
--
-- Run:  nvim --headless -n -u NONE -i NONE -c 'luafile tests/lsp/nvim/plan_lens.lua'
-- Env:  MERGELINT_NVIM_CONFIG (the merge config to open; its folder is the root), and
--       harness.lua's (MERGELINT_PY, MERGELINT_NVIM_OUT); exit status as harness.lua says.

local h = dofile(debug.getinfo(1, 'S').source:sub(2):match('(.*/)') .. 'harness.lua')
local result = h.result

local function titles(buf)
  local found = {}
  for _, lens in ipairs(vim.lsp.codelens.get(buf)) do
    if lens.command and lens.command.title then
      table.insert(found, { line = lens.range.start.line, title = lens.command.title })
    end
  end
  return found
end

local ok, err = pcall(function()
  local path = assert(os.getenv('MERGELINT_NVIM_CONFIG'), 'MERGELINT_NVIM_CONFIG is not set')
  local buf = h.attach(path, vim.fn.fnamemodify(path, ':h'))
  -- README's setup: refresh the lenses when the buffer is entered, left idle or written
  vim.api.nvim_create_autocmd({ 'BufEnter', 'CursorHold', 'InsertLeave', 'BufWritePost' },
    { buffer = buf, callback = vim.lsp.codelens.refresh })
  if vim.lsp.inlay_hint then vim.lsp.inlay_hint.enable(true, { bufnr = buf }) end
  vim.lsp.codelens.refresh()
  assert(vim.wait(120000, function() return #titles(buf) > 0 end, 50), 'no code lens')
  result.lenses = titles(buf)
  table.insert(result.steps, 'lens')
  if vim.lsp.inlay_hint then
    vim.wait(20000, function() return #vim.lsp.inlay_hint.get({ bufnr = buf }) > 0 end, 50)
    result.inlay_hints = #vim.lsp.inlay_hint.get({ bufnr = buf })
  end
end)
h.finish(ok, ok and 'PASS' or tostring(err))
