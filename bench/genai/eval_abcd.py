"""Resolution and agent action items of the local generative engine on hand-labelled ABCD chats.

Starts `parley serve` (development mode), declares each chat of the ABCD sample as an ElevateAI
chat (agent/customer turns; ABCD's 'action' lines, which are system logs, are left out), reads
gen-ai/cx/summary/details (isResolved) and gen-ai/cx/agent/action-items, and compares them with
bench/genai/abcd_labels.json. An expected item is found when one returned item contains all its
words (case-insensitive); precision counts returned items matching some expected item.

  python3 bench/genai/eval_abcd.py build/parley ../shared/data/abcd/abcd_sample.json
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request

def call(base, method, path, body=None):
    req = urllib.request.Request(base + path, method=method, headers={"Content-Type": "application/json", "X-API-Token": "dev"},
                                 data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())

def main():
    binary, data = sys.argv[1], sys.argv[2]
    labels = json.load(open(os.path.join(os.path.dirname(__file__), "abcd_labels.json")))
    chats = json.load(open(data))
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", tmp + "/d"],
                                stderr=subprocess.PIPE, text=True)
        port = None
        while port is None:
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", proc.stderr.readline())
            port = m and m.group(1)
        base = "http://127.0.0.1:%s/v1/interactions" % port
        correct = found = expected = matched = returned = 0
        for chat in chats:
            label = labels.get(str(chat["convo_id"]))
            if label is None:
                continue
            messages = [{"participantId": r, "message": t} for r, t in chat["original"] if r in ("agent", "customer")]
            body = {"type": "chat", "languageTag": "en-us", "vertical": "default",
                    "chat": {"participants": [{"participantId": "agent", "role": "agent"},
                                              {"participantId": "customer", "role": "customer"}],
                             "messages": messages}}
            iid = call(base, "POST", "", body)["interactionIdentifier"]
            details = call(base, "GET", "/%s/gen-ai/cx/summary/details" % iid)
            items = call(base, "GET", "/%s/gen-ai/cx/agent/action-items" % iid)["actionItems"]
            correct += details["isResolved"] == label["resolved"]
            has = lambda item, words: all(w.lower() in item.lower() for w in words)
            for words in label["action_items"]:
                expected += 1
                found += any(has(i, words) for i in items)
            returned += len(items)
            matched += sum(any(has(i, w) for w in label["action_items"]) for i in items)
            print("%s resolved=%s (label %s) items=%s" % (chat["convo_id"], details["isResolved"], label["resolved"], items))
        proc.terminate()
        proc.wait()
    n = sum(1 for c in chats if str(c["convo_id"]) in labels)
    print("resolution accuracy %d/%d; action items recall %d/%d, precision %d/%d" % (correct, n, found, expected, matched, returned))

if __name__ == "__main__":
    main()
