-- hook_not_function.lua - a persona whose request hook is a number, a
-- mistake its check names (not taken for a plan).
return { request = 5 }
