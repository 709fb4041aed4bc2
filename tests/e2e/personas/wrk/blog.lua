-- The common pattern of blog posts: random paths, JSON bodies with random
-- values, and done printing percentiles in milliseconds and the errors.
math.randomseed(os.time())
local paths = { "/api/a", "/api/b", "/api/c" }

request = function()
  local body = string.format('{"id":%d,"name":"user%d"}', math.random(1, 1000), math.random(1, 9))
  return wrk.format("POST", paths[math.random(#paths)], { ["Content-Type"] = "application/json" }, body)
end

done = function(summary, latency, requests)
  for _, p in ipairs({ 50, 90, 99 }) do
    io.write(string.format("p%d %.3f ms\n", p, latency:percentile(p) / 1000))
  end
  local e = summary.errors
  io.write(string.format("total %d, errors %d, mean rate %.1f/s over %.2f s\n", summary.requests,
                         e.connect + e.read + e.write + e.status + e.timeout, requests.mean,
                         summary.duration / 1e6))
end
