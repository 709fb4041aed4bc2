-- Three requests in one request() string: pipelined, and answered in
-- order (the server names each answer's path in X-Path). Each thread has
-- one connection here, so its count follows that connection's answers.
local paths = { "/one", "/two", "/three" }
function init(args)
  req = wrk.format(nil, "/one") .. wrk.format(nil, "/two") .. wrk.format(nil, "/three")
  answers = 0
end
function request()
  return req
end
function response(status, headers, body)
  answers = answers + 1
  local want = paths[(answers - 1) % 3 + 1]
  if headers["X-Path"] ~= want then
    error("answer " .. answers .. " is for " .. tostring(headers["X-Path"]) .. ", not " .. want)
  end
end
