-- Three requests in one request() string.
function init(args)
  req = wrk.format(nil, "/one") .. wrk.format(nil, "/two") .. wrk.format(nil, "/three")
end
function request()
  return req
end
