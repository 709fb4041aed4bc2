-- A persona with neither a request nor a session function.
return { init = function(self) end }
