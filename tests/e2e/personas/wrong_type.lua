local P = {}
function P:request() return 42 end
return P
