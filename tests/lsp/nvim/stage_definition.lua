-- Headless Neovim goes from a reference to a mergekit-multi stage to that stage's `name:`
-- (vim.lsp.buf.definition), then renames the stage (vim.lsp.buf.rename, through prepareRename):
-- the revision, LoRA suffix and quotes of its references stay.
--
-- Run:  nvim --headless -n -u NONE -i NONE -c 'luafile tests/lsp/nvim/stage_definition.lua'
-- Env:  MERGELINT_NVIM_CONFIG (the stream to open; its folder is the root), and
--       harness.lua's (MERGELINT_PY, MERGELINT_NVIM_OUT); exit status as harness.lua says.

local h = dofile(debug.getinfo(1, 'S').source:sub(2):match('(.*/)') .. 'harness.lua')
local result = h.result

local function line_of(buf, text)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    if line:find(text, 1, true) then return i end
  end
  error('no line with ' .. text)
end

local ok, err = pcall(function()
  local path = assert(os.getenv('MERGELINT_NVIM_CONFIG'), 'MERGELINT_NVIM_CONFIG is not set')
  local buf = h.attach(path, vim.fn.fnamemodify(path, ':h'))
  local from = line_of(buf, 'base_model: base-merge@main')
  vim.api.nvim_win_set_cursor(0, { from, #'base_model: ba' })
  vim.lsp.buf.definition()
  local declared = line_of(buf, 'name: base-merge')
  assert(vim.wait(30000, function() return vim.api.nvim_win_get_cursor(0)[1] == declared end, 20), 'the cursor did not go to the stage name')
  result.definition = vim.api.nvim_win_get_cursor(0)
  table.insert(result.steps, 'definition')
  vim.lsp.buf.rename('stage-one')
  assert(vim.wait(30000, function() return vim.api.nvim_buf_get_lines(buf, 0, 1, false)[1] == 'name: stage-one' end, 20), 'the rename was not applied')
  result.lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  table.insert(result.steps, 'rename')
end)
h.finish(ok, ok and 'PASS' or tostring(err))
