-- A client as a session-style persona sees it, for specs that run a
-- session without the engine: every request goes to a fake service
-- (service:answer(req) returns a response table) and is recorded in
-- `requests`; the places of requests sent at once are listed in
-- `together`, sleeps in `sleeps`, Busy faults counted in `busy`. A failed
-- check or any other fault raises { fault = kind, message = ... }, as the
-- engine ends the session.
local M = {}

function M.new(service)
  local c = { requests = {}, together = {}, sleeps = {}, busy = 0 }
  local function send(req)
    c.requests[#c.requests + 1] = req
    return service:answer(req)
  end
  function c:get(path, opts)
    local req = { method = "GET", path = path }
    for k, v in pairs(opts or {}) do req[k] = v end
    return send(req)
  end
  function c:request(req) return send(req) end
  function c:concurrently(...)
    local out, places = {}, {}
    for i, req in ipairs({ ... }) do
      out[i] = send(req)
      places[i] = #self.requests
    end
    self.together[#self.together + 1] = places
    return unpack(out)
  end
  function c:sleep(s) self.sleeps[#self.sleeps + 1] = s end
  -- As client:check: a fail is counted by name (checks_failed), and ends
  -- the session only when fatal.
  c.checks_failed = {}
  function c:check(cond, name, opts)
    if not cond then
      name = name or "check"
      self.checks_failed[name] = (self.checks_failed[name] or 0) + 1
      if opts and opts.fatal then
        error({ fault = "invalid", message = opts.message or name }, 0)
      end
    end
    return cond
  end
  function c:fault(kind, msg)
    if kind == "busy" then
      self.busy = self.busy + 1
      return
    end
    error({ fault = kind, message = msg }, 0)
  end
  return c
end

-- Runs persona:session(client) against service: the client, and the fault
-- that ended the session (nil when none). A Lua error that is not a fault
-- is raised again.
function M.session(persona, service)
  local client = M.new(service)
  local ok, err = pcall(persona.session, persona, client)
  if not ok and type(err) ~= "table" then error(err, 0) end
  return client, not ok and err or nil
end

return M
