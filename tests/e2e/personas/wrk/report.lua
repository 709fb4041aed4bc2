-- Prints latency percentiles as CSV, and the summary's figures.
function done(summary, latency, requests)
  io.write("------------------------------\n")
  for _, p in ipairs({ 50, 90, 99, 99.999 }) do
    io.write(string.format("%g%%,%d\n", p, latency:percentile(p)))
  end
  io.write(string.format("summary,%d,%d,%d,%d\n", summary.requests, summary.bytes,
                         summary.duration, summary.errors.status))
  io.write(string.format("latency,%d,%d,%d,%d\n", latency.min, latency.max, #latency,
                         select(2, latency(1))))
  io.write(string.format("requests,%.1f\n", requests.mean))
end
