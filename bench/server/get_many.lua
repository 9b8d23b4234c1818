-- GET view=FULL of a random conversation out of a working set: the ids in
-- the file named by $IDS_FILE (one per line), appended to the URL's path.
--   IDS_FILE=ids.txt wrk -s bench/server/get_many.lua http://HOST/v1/.../conversations/
dofile("bench/server/report.lua")
dofile("bench/server/ids.lua")

init = function(args) load_ids() end

request = function()
  return wrk.format("GET", wrk.path .. random_id() .. "?view=FULL")
end
