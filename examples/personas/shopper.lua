-- shopper.lua: a shopper on a web shop (shop_app.py beside this file), as a
-- browser would be: logs in with a form (a token hidden in the page, a
-- session cookie, a 303 to the dashboard), searches, puts products in the
-- cart, checks out, now and then uploads a picture, and logs out. Each
-- client logs in with an account of its own from accounts.csv.
--
--   python3 examples/personas/shop_app.py --port 8080 &
--   throng run examples/personas/shopper.lua -s 127.0.0.1:8080 -c 20 -d 30s \
--     --threshold 'checkout:p99<2s' --threshold 'check:order placed>99%'
--
-- Arguments (after --): think=SECONDS between pages (default 0.5),
-- items=N most products put in the cart (default 3), typo=P the share of
-- log-ins that first mistype the password (default 0.1), upload=P the
-- share of sessions that upload a picture (default 0.2), accounts=PATH.
local throng = require "throng"

-- Every request asks for a compressed page, as a browser does; redirects
-- are followed (5 at most, the session style's default) and cookies kept.
local P = { compressed = true }

local SEARCHES = { "shoes", "hat", "shirt", "scarf", "socks", "coat" }

-- The hidden form token of a page: <input type="hidden" name="csrf" value="...">.
local function token(page)
  return page.body:match('name="csrf" value="([^"]+)"')
end

function P:init(args)
  self.think = tonumber(args.think) or 0.5
  self.items = tonumber(args.items) or 3
  self.typo = tonumber(args.typo) or 0.1
  self.upload = tonumber(args.upload) or 0.2
  -- One account per client for the whole run, never shared with another
  -- client (of any thread or process): unique rows, kept in self.
  local accounts = throng.data.csv(args.accounts or "accounts.csv", { mode = "unique" })
  self.account = accounts:next()
end

function P:pause(client)
  client:sleep(throng.spread_out(self.think))
end

-- The log-in form, an optional mistyped password, then the right one:
-- 303 to the dashboard, which the session cookie opens. Returns the
-- dashboard's form token.
function P:sign_in(client)
  local form = client:get("/login", { name = "login page" })
  local csrf = token(form)
  client:check(form.status == 200 and csrf, "login form", { fatal = true })
  local user, password = self.account.user, self.account.password
  if throng.random() < self.typo then
    local res = client:post("/login", { name = "login",
      form = { user = user, password = password .. "x", csrf = csrf } })
    client:check(res.status == 401 and token(res) == csrf, "wrong password refused")
  end
  local home = client:post("/login", { name = "login",
    form = { user = user, password = password, csrf = csrf } })
  local body = home.body
  client:check(home.status == 200 and home.redirects == 1 and home.url:match("/dashboard$")
                 and body:find("Welcome, " .. user, 1, true),
               "logged in", { fatal = true, message = "log-in as " .. user .. " answered "
                 .. home.status .. " at " .. tostring(home.url) })
  client:check(home.headers["content-encoding"] == "gzip", "page compressed")
  return token(home)
end

-- A search, then a product page and its "add to cart" form.
function P:add_to_cart(client)
  local term = SEARCHES[throng.random(#SEARCHES)]
  local found = client:get("/search", { name = "search", query = { q = term } })
  local links = {}
  for id in found.body:gmatch('href="/products/(%d+)"') do
    links[#links + 1] = id
  end
  client:check(found.status == 200 and #links > 0, "search found")
  if #links == 0 then return end
  self:pause(client)
  local id = links[throng.random(#links)]
  local product = client:get("/products/" .. id, { name = "product" })
  local name = product.body:match("<h1>(.-)</h1>")
  local cart = client:post("/cart", { name = "add to cart",
    form = { product = id, qty = throng.random(1, 2), csrf = token(product) } })
  client:check(cart.status == 200 and name and cart.body:find(name, 1, true), "added to cart")
end

-- The checkout: the cart, the order (303 to its page), the order list.
function P:checkout(client)
  local cart = client:get("/cart", { name = "cart" })
  local order = client:post("/checkout", { name = "place order",
    form = { address = "1 Load Street, Testville", csrf = token(cart) } })
  local number = order.status == 200 and order.body:match("Order (%d+) confirmed")
  if not client:check(number, "order placed") then return end
  local orders = client:get("/orders", { name = "orders" })
  client:check(orders.body:find('<li class="order">' .. number .. "</li>", 1, true), "order listed")
end

-- A profile picture, as multipart/form-data: a file part made in memory.
function P:upload_picture(client, csrf)
  local picture = string.rep("\137PNG\r\n\26\n", 64)
  local res = client:post("/account/avatar", { name = "avatar", multipart = {
    caption = "me, at the seaside",
    csrf = csrf,
    picture = { data = picture, filename = "me.png", content_type = "image/png" },
  } })
  client:check(res.status == 200 and (res.url or ""):match("/dashboard$"), "picture uploaded")
end

function P:session(client)
  -- Without a session cookie the shop sends us to its log-in page.
  local away = client:get("/dashboard", { name = "dashboard", follow = 0 })
  client:check(away.status == 302 and (away.headers.location or ""):match("^/login"),
               "sent to log in")
  local csrf = client:transaction("sign-in", function() return self:sign_in(client) end)
  for _ = 1, throng.random(1, self.items) do
    self:pause(client)
    self:add_to_cart(client)
  end
  self:pause(client)
  client:transaction("checkout", function() self:checkout(client) end)
  if throng.random() < self.upload then
    self:pause(client)
    self:upload_picture(client, csrf)
  end
  local bye = client:post("/logout", { name = "logout", form = { csrf = csrf } })
  client:check(bye.status == 200 and (bye.url or ""):match("/login$"), "logged out")
end

return P
