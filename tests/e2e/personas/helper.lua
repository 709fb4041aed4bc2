-- A helper module that personas beside it can require.
local M = {}
function M.product_path() return "/Multiply" end
return M
