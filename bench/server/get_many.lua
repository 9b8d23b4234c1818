-- GET view=FULL of a random conversation out of a working set: the ids in
-- the file named by $IDS_FILE (one per line), appended to the URL's path.
--   IDS_FILE=ids.txt wrk -s bench/server/get_many.lua http://HOST/v1/.../conversations/
dofile("bench/server/report.lua")

local ids = {}

init = function(args)
  for line in io.lines(os.getenv("IDS_FILE")) do
    if #line > 0 then ids[#ids + 1] = line end
  end
  math.randomseed(os.time() + tonumber(tostring(ids):match("0x(%x+)") or "0", 16) % 100000)
end

request = function()
  return wrk.format("GET", wrk.path .. ids[math.random(#ids)] .. "?view=FULL")
end
