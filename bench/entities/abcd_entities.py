#!/usr/bin/env python3
"""Entities on the ABCD sample chats (../shared/data/abcd/abcd_sample.json).

Gold, from each chat's scenario (the values the customer was given to type):
PERSON = customer_name, ADDRESS = the street address, LOCATION = the city,
ORGANIZATION = the product's brand. A gold value counts as found when an entity
of its type has the same text (case-insensitive, possessive dropped) or, for
ADDRESS, starts with the street address. Also counted: entities that are
contractions or function words ("Don't", "It's"), which must be none.

    python3 bench/entities/abcd_entities.py build/parley DATA_DIR [--speech]
"""
import json
import re
import subprocess
import sys

parley = sys.argv[1]
data = sys.argv[2] if len(sys.argv) > 2 and not sys.argv[2].startswith("--") else "../shared/data"
chats = json.load(open(f"{data}/abcd/abcd_sample.json"))
ROLE = {"agent": "HUMAN_AGENT", "customer": "END_USER"}
speech = "--speech" in sys.argv  # speech form: lower case, punctuation removed


def form(t):
    return re.sub(r"[^\w\s@'’-]", " ", t).lower() if speech else t


lines = []
for c in chats:
    segs = [{"text": form(t), "segmentParticipant": {"role": ROLE[r]}} for r, t in c["original"] if r in ROLE]
    lines.append(json.dumps({"medium": "CHAT", "transcript": {"transcriptSegments": segs}}))
out = subprocess.run([parley, "analyze"], input="\n".join(lines) + "\n", capture_output=True,
                     text=True, check=True).stdout.splitlines()
FUNCTION = re.compile(r"^(?:\w+n[’']t|(?:it|that|there|here|what|who|where|how|he|she|we|they|you|i|let)[’'](?:s|re|ll|ve|d|m))$", re.I)
found = total = junk = predicted = 0
for c, line in zip(chats, out):
    ents = json.loads(line)["analysisResult"]["callAnalysisMetadata"].get("entities", {}).values()
    got = [(e["type"], e["displayName"].lower().rstrip("'s")) for e in ents]
    predicted += len(got)
    junk += sum(1 for _, n in got if FUNCTION.match(n))
    sc = c["scenario"]
    gold = [("PERSON", sc["personal"]["customer_name"]),
            ("ADDRESS", sc["order"]["street_address"]),
            ("LOCATION", sc["order"]["city"])]
    for p in sc["product"]["names"]:
        gold.append(("ORGANIZATION", p.split("_")[0] + " " + p.split("_")[1].split(" ")[0]))
    text = " ".join(t.lower() for r, t in c["original"] if r in ROLE)
    for typ, value in gold:
        if value.lower() not in text.replace("_", " "):
            continue  # never said in the chat
        total += 1
        hit = any(t == typ and (n == value.lower() or (typ == "ADDRESS" and n.startswith(value.lower())))
                  for t, n in got)
        found += hit
        print(f"{c['convo_id']} {typ:12} {value!r:28} {'found' if hit else 'missed'}")
    print(f"{c['convo_id']} entities: {sorted(set(got))}")
print(f"\ngold values said in the chats: {total}, found: {found} ({found / max(total, 1):.2f}); "
      f"entities predicted: {predicted}, contractions/function words among them: {junk}")
