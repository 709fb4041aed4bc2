-- misspelt_field.lua - a request table with a misspelt field (mehtod).
local P={}
function P:request() return { mehtod = "POST", path = "/Xy", json = { value = { x = 2, y = 3 } } } end
return P
