-- Mixed read/write workload for bench/soak.sh. One connection per wrk thread
-- (run with -c equal to -t), so each reply answers the thread's last request
-- and its id is known. Across PROJECTS projects: 30 % creates, 35 % gets,
-- 10 % lists, 15 % PATCH (updateMask=labels), 10 % deletes (of conversations
-- this thread created and never patches, so no delete races a patch).
-- Per thread, ACK_DIR/acks-<thread>.txt gets "C project id" for every
-- acknowledged create, "A project id" for every delete sent and "D project
-- id" for every acknowledged delete.
local PROJECTS = 4
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local seq = 0
local patchable = {}   -- {project, id}, read and patched
local deletable = {}   -- {project, id}, deleted once
local last = nil
local acks = nil
c2xx, c3xx, c4xx, c5xx, cother = 0, 0, 0, 0, 0
creates, deletes, patches = 0, 0, 0

local function base(project)
  return "/v1/projects/" .. project .. "/locations/us/conversations"
end

local body_tail = [[","medium":"CHAT","languageCode":"en-US","transcript":{"transcriptSegments":[]]
  .. [[{"text":"Agent: hello, how can I help you today?","segmentParticipant":{"role":"HUMAN_AGENT"}},]]
  .. [[{"text":"Customer: I would like to check the status of my refund for last week's order.","segmentParticipant":{"role":"END_USER"}},]]
  .. [[{"text":"Agent: of course, let me look that up for you.","segmentParticipant":{"role":"HUMAN_AGENT"}},]]
  .. [[{"text":"Customer: thank you, the order number is 12345.","segmentParticipant":{"role":"END_USER"}}]}}]]

function init(args)
  math.randomseed(tid * 7919 + os.time())
  local dir = os.getenv("ACK_DIR")  -- unset: no log (wrk run by hand)
  acks = assert(io.open(dir and (dir .. "/acks-" .. tid .. ".txt") or "/dev/null", "w"))
  acks:setvbuf("line")
end

function request()
  seq = seq + 1
  local r = math.random(100)
  if r <= 30 or #patchable == 0 then
    local project = "soak" .. (seq % PROJECTS)
    local id = "t" .. tid .. "-" .. seq
    last = {kind = "create", project = project, id = id}
    return wrk.format("POST", base(project) .. "?conversationId=" .. id,
      {["Content-Type"] = "application/json"}, '{"labels":{"kind":"soak"},"agentId":"x' .. body_tail)
  elseif r <= 65 then
    local c = patchable[math.random(#patchable)]
    last = {kind = "get"}
    return wrk.format("GET", base(c.project) .. "/" .. c.id)
  elseif r <= 75 then
    last = {kind = "list"}
    return wrk.format("GET", base("soak" .. (seq % PROJECTS)) .. "?pageSize=50")
  elseif r <= 90 or #deletable == 0 then
    local c = patchable[math.random(#patchable)]
    last = {kind = "patch"}
    return wrk.format("PATCH", base(c.project) .. "/" .. c.id .. "?updateMask=labels",
      {["Content-Type"] = "application/json"}, '{"labels":{"kind":"soak","patched":"' .. seq .. '"}}')
  else
    local c = table.remove(deletable)
    last = {kind = "delete", project = c.project, id = c.id}
    acks:write("A ", c.project, " ", c.id, "\n")  -- may land without a reply (the run's end)
    return wrk.format("DELETE", base(c.project) .. "/" .. c.id)
  end
end

function response(status, headers, body)
  if status >= 200 and status < 300 then c2xx = c2xx + 1
  elseif status < 400 then c3xx = c3xx + 1
  elseif status < 500 then c4xx = c4xx + 1
  elseif status < 600 then c5xx = c5xx + 1
  else cother = cother + 1 end
  if last == nil then return end
  local ok = status >= 200 and status < 300
  if last.kind == "create" and ok then
    creates = creates + 1
    acks:write("C ", last.project, " ", last.id, "\n")
    local c = {project = last.project, id = last.id}
    if creates % 2 == 0 then table.insert(patchable, c) else table.insert(deletable, c) end
  elseif last.kind == "delete" and ok then
    deletes = deletes + 1
    acks:write("D ", last.project, " ", last.id, "\n")
  elseif last.kind == "patch" and ok then
    patches = patches + 1
  end
  if (status >= 500 and c5xx <= 5) or (status >= 400 and status < 500 and c4xx <= 3) then
    io.stderr:write(status, " after ", last.kind, ": ", body:sub(1, 300), "\n")
  end
  last = nil
end

function done(summary, latency, requests)
  local t = {c2xx = 0, c3xx = 0, c4xx = 0, c5xx = 0, cother = 0, creates = 0, deletes = 0, patches = 0}
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + (thread:get(k) or 0) end
  end
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "SOAK requests=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f 2xx=%d 3xx=%d 4xx=%d 5xx=%d other=%d "
      .. "socket_errors=%d timeouts=%d creates_acked=%d patches_acked=%d deletes_acked=%d\n",
    summary.requests, summary.requests / secs, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, t.c2xx, t.c3xx, t.c4xx, t.c5xx, t.cother,
    e.connect + e.read + e.write, e.timeout, t.creates, t.patches, t.deletes))
end
