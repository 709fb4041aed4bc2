-- misspelt_option.lua - client:post options with the envelope's field (value)
-- where the request's (json) belongs.
return { session = function(self, client)
  client:post("/Xy", { value = { x = 2, y = 3 } })
end }
