-- Asks /login until it answers a token, then /data with the token as a header.
token = nil
target = "/login"
function request()
  return wrk.format("GET", target)
end
function response(status, headers, body)
  if not token and status == 200 then
    token = headers["X-Token"]
    target = "/data"
    wrk.headers["X-Token"] = token
  end
end
