-- Numbers the threads in setup, counts requests and responses per thread,
-- and prints each thread's counts in done.
local next_id = 1
local threads = {}
function setup(thread)
  thread:set("id", next_id)
  threads[#threads + 1] = thread
  next_id = next_id + 1
end
function init(args)
  sent = 0
  answered = 0
  print(string.format("thread %d created with %d args: %s", id, #args, table.concat(args, " ")))
end
function request()
  sent = sent + 1
  return wrk.request()
end
function response(status, headers, body)
  answered = answered + 1
end
function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    print(string.format("thread %d made %d requests and got %d responses",
                        t:get("id"), t:get("sent"), t:get("answered")))
  end
end
