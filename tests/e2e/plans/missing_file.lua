return { ghost = { persona = "no_such_persona.lua", clients = 1 } }
