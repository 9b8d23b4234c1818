-- The working set of the GET/PATCH scripts: the ids in the file named by
-- $IDS_FILE (one per line), read by each wrk thread's init, and a random pick.
local ids = {}

function load_ids()
  for line in io.lines(os.getenv("IDS_FILE")) do
    if #line > 0 then ids[#ids + 1] = line end
  end
  math.randomseed(os.time() + tonumber(tostring(ids):match("0x(%x+)") or "0", 16) % 100000)
end

function random_id()
  return ids[math.random(#ids)]
end
