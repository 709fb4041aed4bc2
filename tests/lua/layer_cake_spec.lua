-- throng.layer_cake, the helpers the persona scripts share: found by its
-- module name under lua/, as personas require it inside the engine.
local lc = require "throng.layer_cake"

local BUSY = '{"value":["layer_cake.point_runtime.Busy",{"condition":"full"},[]]}'
local TABLE = '{"value":["vector<vector<float8>>",[[1,2,3],[4,5,6]],[]]}'

describe("throng.layer_cake", function()
  it("writes the service's requests", function()
    local t = lc.table_request(3, 2)
    assert.are.same({ method = "POST", path = "/Xy", name = "table",
                      json = { value = { x = 3, y = 2 } }, response_body = "shape" }, t)
    assert.are.equal("/Divide", lc.crunch_request("Divide", 7, 3).path)
  end)

  it("checks tables and tells Busy apart", function()
    assert.is_true(lc.check_table({ status = 200, body = TABLE }, 3, 2))
    local ok, why = lc.check_table({ status = 200, body = TABLE }, 2, 3)
    assert.is_false(ok)
    assert.are.equal("not the matching table: asked for 2x3, got 3x2", why)
    assert.is_true(lc.is_busy({ status = 500, body = BUSY }))
    assert.is_false(lc.is_busy({ status = 200, body = TABLE }))
  end)

  it("reads arguments, naming a wrong one", function()
    assert.are.equal(100, lc.number_arg({}, "big_table", 100, 1, true))
    assert.are.equal(7, lc.number_arg({ big_table = 7 }, "big_table", 100, 1, true))
    assert.has_error(function() lc.number_arg({ big_table = 2.5 }, "big_table", 100, 1, true) end,
                     "big_table must be a whole number of at least 1, not 2.5")
  end)
end)
