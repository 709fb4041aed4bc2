-- Thinks 20 to 40 ms before each request.
function delay()
  return math.random(20, 40)
end
