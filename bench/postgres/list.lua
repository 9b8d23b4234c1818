-- GET of a random path out of the file named by $PATHS_FILE (one per line):
-- the list requests of one filter kind, e.g. one agent out of 200.
--   PATHS_FILE=paths.txt wrk -t1 -c1 -s bench/postgres/list.lua http://HOST
dofile("bench/server/report.lua")

local paths = {}

init = function(args)
  for line in io.lines(os.getenv("PATHS_FILE")) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  math.randomseed(os.time())
end

request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end

response = function(status, headers, body)
  if status ~= 200 then
    io.stderr:write("list answered " .. status .. ": " .. body:sub(1, 200) .. "\n")
  end
end
