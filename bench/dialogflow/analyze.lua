-- wrk script: POST participants/{p}:analyzeContent, round-robin over the
-- participants in $PARTICIPANTS_FILE (one name a line), with end-user texts
-- that share terms with the benchmark's knowledge bases.
local names = {}
for line in io.lines(os.getenv("PARTICIPANTS_FILE")) do names[#names + 1] = line end
local texts = {
  "Hi, I was charged a late fee on my billing statement and I am really annoyed.",
  "How do I reset my password? The login page shows an error.",
  "My parcel tracking number does not work and the delivery is late.",
  "I want a refund for the damaged router, it has no signal.",
  "Can you change the payment card on my subscription plan?",
  "The internet speed is terrible since the outage, please fix my modem.",
}
local counter = 0
request = function()
  counter = counter + 1
  local name = names[(counter % #names) + 1]
  local body = string.format('{"textInput": {"text": "%s", "languageCode": "en-US"}}', texts[(counter % #texts) + 1])
  return wrk.format("POST", "/v2/" .. name .. ":analyzeContent", {["Content-Type"] = "application/json"}, body)
end
local f = loadfile("bench/server/report.lua")
f()
