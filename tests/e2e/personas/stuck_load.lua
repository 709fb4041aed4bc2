-- stuck_load.lua - a script whose top level never returns.
while true do end
return {}
