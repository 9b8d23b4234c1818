-- wrk script: POST sessions/{s}:runSession, round-robin over the sessions in
-- $SESSIONS_FILE (one name a line), with bench/ces/texts.txt: texts that match an intent, that only
-- the FAQ answers, and that neither knows (the fallback), so every step of
-- the local agent runs. Diagnostic info is returned (the default).
local names = {}
for line in io.lines(os.getenv("SESSIONS_FILE")) do names[#names + 1] = line end
local texts = {}
for line in io.lines("bench/ces/texts.txt") do texts[#texts + 1] = line end
local counter = 0
request = function()
  counter = counter + 1
  local name = names[(counter % #names) + 1]
  local body = string.format('{"config": {}, "inputs": [{"text": "%s"}]}', texts[(counter % #texts) + 1])
  return wrk.format("POST", "/v1/" .. name .. ":runSession", {["Content-Type"] = "application/json"}, body)
end
local f = loadfile("bench/server/report.lua")
f()
