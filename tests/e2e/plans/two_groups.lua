-- Two groups at once: the built-in persona and a script beside this plan.
return {
  tables = { persona = "table", clients = 3, request_count = 4, slow_down = 0,
             args = { method = "GET" }, thresholds = { "p99<1s" } },
  products = { persona = "../personas/uses_helper.lua", clients = 2, request_count = 2,
               slow_down = "5ms", args = { factor = 7, label = "seven" } },
}
