return { lonely = { clients = 2 } }
