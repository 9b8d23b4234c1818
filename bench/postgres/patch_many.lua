-- PATCH the labels of a random conversation out of a working set: the ids in
-- the file named by $IDS_FILE (one per line), appended to the URL's path.
--   IDS_FILE=ids.txt wrk -s bench/postgres/patch_many.lua http://HOST/v1/.../conversations/
dofile("bench/server/report.lua")
dofile("bench/server/ids.lua")

local counter = 0

init = function(args) load_ids() end

request = function()
  counter = counter + 1
  return wrk.format("PATCH", wrk.path .. random_id() .. "?updateMask=labels",
    {["Content-Type"] = "application/json"},
    '{"labels":{"queue":"billing","round":"' .. counter .. '"}}')
end
