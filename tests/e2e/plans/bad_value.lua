return { busy = { persona = "table", clients = -3 } }
