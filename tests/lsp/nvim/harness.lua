-- What the headless Neovim scripts share: a JSON result, and a buffer attached to `mergelint lsp`
-- as a user's editor attaches it (0.7, Debian's; 0.8+ too).
-- Env:  MERGELINT_PY (a python with mergelint installed; default python3)
--       MERGELINT_NVIM_OUT (optional file for the JSON result; it also goes to stdout)
-- A script's exit status 0 = PASS; on failure :cquit (status 1) and "ok": false with the reason.

local M = {}
local v = vim.version()
M.result = { ok = false, steps = {}, nvim = v.major .. '.' .. v.minor .. '.' .. v.patch }
M.new_api = vim.fn.has('nvim-0.11') == 1
M.get_clients = vim.lsp.get_clients or vim.lsp.get_active_clients
local function call(c, m, ...) if M.new_api then return c[m](c, ...) else return c[m](...) end end

function M.finish(ok, msg)
  local result, out_path = M.result, os.getenv('MERGELINT_NVIM_OUT')
  result.ok = ok
  result.message = msg
  local json = vim.json.encode(result)
  if out_path and out_path ~= '' then local f = io.open(out_path, 'w'); f:write(json, '\n'); f:close() end
  io.stdout:write(json, '\n')  -- print() goes to stderr in --headless
  for _, c in pairs(M.get_clients()) do call(c, 'stop') end
  vim.wait(3000, function() return #M.get_clients() == 0 end, 20)
  vim.cmd(ok and 'qall!' or 'cquit')
end

-- Edit `path` (written by the caller) as YAML with the server attached; returns the buffer and client.
function M.attach(path, root_dir)
  vim.o.swapfile = false
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].filetype = 'yaml'  -- -u NONE: no filetype detection; Neovim sends the filetype as languageId
  local config = {
    name = 'mergelint',
    cmd = { os.getenv('MERGELINT_PY') or 'python3', '-m', 'mergelint', 'lsp' },
    root_dir = root_dir,
    on_exit = function(code) M.result.server_exit = code end,
  }
  local client_id
  if M.new_api then
    client_id = vim.lsp.start(config, { bufnr = buf })
  else
    client_id = vim.lsp.start_client(config)
    if client_id then vim.lsp.buf_attach_client(buf, client_id) end
  end
  assert(client_id, 'starting the client failed')
  local client = vim.lsp.get_client_by_id(client_id)
  assert(vim.wait(20000, function() return client.initialized end, 20), 'server did not initialize')
  table.insert(M.result.steps, 'initialized')
  return buf, client
end

return M
