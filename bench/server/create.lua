-- wrk script: POST a ~2 KB Insights conversation with 10 transcript segments.
-- Each request gets a generated id (no conversationId), so every one is a new row.
-- The 50 request variants (agent-0 .. agent-49) are built once per thread, and
-- responses are not handed to Lua: the load generator shares the machine with
-- the server, so it should spend as little CPU per request as it can. Non-2xx
-- replies are counted by wrk and reported by done() as errors=N.
local segments = {}
for i = 0, 9 do
  local role = (i % 2 == 0) and "END_USER" or "HUMAN_AGENT"
  segments[#segments + 1] = string.format(
    '{"text":"Segment %d of the benchmark conversation: I would like to check my account balance please.",' ..
    '"messageTime":"2024-05-01T10:00:%02dZ","channelTag":%d,' ..
    '"segmentParticipant":{"role":"%s","userId":"user-%d"}}',
    i, i * 5, (i % 2) + 1, role, i % 2)
end
local template = '{"medium":"CHAT","agentId":"agent-%AGENT%","languageCode":"en-US",' ..
  '"labels":{"queue":"billing","site":"lisbon"},"startTime":"2024-05-01T10:00:00Z",' ..
  '"transcript":{"transcriptSegments":[' .. table.concat(segments, ",") .. ']}}'

local requests = {}
local counter = 0

init = function(args)
  for agent = 0, 49 do
    local body = string.gsub(template, "%%AGENT%%", tostring(agent))
    requests[agent + 1] = wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
  end
end

request = function()
  counter = counter + 1
  return requests[counter % 50 + 1]
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("CREATE requests=%d errors=%d rps=%.0f\n", summary.requests,
    e.status + e.connect + e.read + e.write + e.timeout, summary.requests / (summary.duration / 1e6)))
end
