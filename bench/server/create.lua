-- wrk script: POST a ~2 KB Insights conversation with 10 transcript segments.
-- Each request gets a generated id (no conversationId), so every one is a new row.
local segments = {}
for i = 0, 9 do
  local role = (i % 2 == 0) and "END_USER" or "HUMAN_AGENT"
  segments[#segments + 1] = string.format(
    '{"text":"Segment %d of the benchmark conversation: I would like to check my account balance please.",' ..
    '"messageTime":"2024-05-01T10:00:%02dZ","channelTag":%d,' ..
    '"segmentParticipant":{"role":"%s","userId":"user-%d"}}',
    i, i * 5, (i % 2) + 1, role, i % 2)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"medium":"CHAT","agentId":"agent-%AGENT%","languageCode":"en-US",' ..
  '"labels":{"queue":"billing","site":"lisbon"},"startTime":"2024-05-01T10:00:00Z",' ..
  '"transcript":{"transcriptSegments":[' .. table.concat(segments, ",") .. ']}}'

local counter = 0
request = function()
  counter = counter + 1
  local body = string.gsub(wrk.body, "%%AGENT%%", tostring(counter % 50))
  return wrk.format(nil, nil, nil, body)
end

-- Any non-2xx fails the benchmark loudly.
response = function(status, headers, body)
  if status ~= 200 then
    print("unexpected status " .. status .. ": " .. body)
    os.exit(1)
  end
end
