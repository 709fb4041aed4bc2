local P = {}
function P:request()
  return { path = "/status" 
end
return P
