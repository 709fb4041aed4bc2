return { late = { persona = "table", start_delay = "soon" } }
