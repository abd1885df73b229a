-- For bench/wrk.py: sends pre-built requests (separated by NUL bytes, each signed on its
-- own) in order, each once; the file is the script's first argument.
local requests = {}
local sent = 0

init = function(args)
  local file = assert(io.open(args[1], "rb"))
  local data = file:read("*a")
  file:close()
  local start = 1
  while true do
    local stop = string.find(data, "\0", start, true)
    if not stop then break end
    requests[#requests + 1] = string.sub(data, start, stop - 1)
    start = stop + 1
  end
end

request = function()
  sent = sent + 1
  return requests[((sent - 1) % #requests) + 1]
end
