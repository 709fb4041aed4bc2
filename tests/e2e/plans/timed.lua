-- A group that starts late and one that stops early.
return {
  early = { persona = "table", clients = 2, duration = "1s", slow_down = "10ms" },
  late = { persona = "table", clients = 2, start_delay = "1s", slow_down = "10ms" },
}
