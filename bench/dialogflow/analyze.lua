-- wrk script: POST participants/{p}:analyzeContent, round-robin over the
-- participants in $PARTICIPANTS_FILE (one name a line), with end-user texts
-- (bench/dialogflow/texts.txt) that share terms with the benchmark's knowledge bases.
local names = {}
for line in io.lines(os.getenv("PARTICIPANTS_FILE")) do names[#names + 1] = line end
local texts = {}
for line in io.lines("bench/dialogflow/texts.txt") do texts[#texts + 1] = line end
local counter = 0
request = function()
  counter = counter + 1
  local name = names[(counter % #names) + 1]
  local body = string.format('{"textInput": {"text": "%s", "languageCode": "en-US"}}', texts[(counter % #texts) + 1])
  return wrk.format("POST", "/v2/" .. name .. ":analyzeContent", {["Content-Type"] = "application/json"}, body)
end
local f = loadfile("bench/server/report.lua")
f()
