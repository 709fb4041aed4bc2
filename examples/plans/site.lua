-- A site's mix of users, as one plan: a watchdog checking health, an
-- administrator, many typical users and a few experts, side by side
-- against one server (throng serve by default).
--
--   throng serve &
--   throng run examples/plans/site.lua -d 30s
--
-- Each group names a persona (a script path, from this file's folder, or a
-- built-in name) and its settings; what a group leaves out comes from the
-- command line's flags.
return {
  watchdog = {
    persona = "../../scripts/watchdog.lua",
    clients = 1,
    request_count = 1000000, -- one long session: a look at /status every few seconds
    args = { every = 2 },
  },
  admin = {
    persona = "../../scripts/admin.lua",
    clients = 1,
    slow_down = "1s",
    start_delay = "1s",
  },
  typical = {
    persona = "../../scripts/typical.lua",
    clients = 20,
    request_count = 8,
    slow_down = "100ms",
    args = { small_table = 10 },
    thresholds = { "p99<250ms", "errors<1%" },
  },
  expert = {
    persona = "../../scripts/expert.lua",
    clients = 3,
    request_count = 2,
    slow_down = "200ms",
    big_table = 60, -- the table persona's argument, as args = { big_table = 60 }
  },
}
