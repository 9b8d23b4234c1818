#!/usr/bin/env python3
"""Writes two person-name sets from the shared data in eval_pii's input shape
(Presidio's: full_text, spans with entity_type / start_position /
end_position in code points), for `eval_pii --data FILE --form speech`.

  nlupp: NLU++ banking (../shared/data/nlupp, 1,039 customer messages, most
         lower case; its person_name slots become PERSON, company_name
         ORGANIZATION). Folds 0-4 first, then folds 5-9, so that eval_pii's
         "tuning half" is about folds 0-4 and its "held-out half" folds 5-9.
  wnut17: WNUT-17 dev (../shared/data/wnut17, 1,009 tweets-like sentences,
         tokens joined by spaces); person -> PERSON, location -> LOCATION,
         corporation -> ORGANIZATION, others kept by name. Used as a check
         only (nothing is tuned on it).

Nothing is copied into the repository: the files go to the output folder.

  python3 bench/pii/name_sets.py [OUT_DIR]     (default /tmp)
"""
import glob
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data")


def nlupp():
    folder = os.path.join(ROOT, "nlupp")
    files = sorted(glob.glob(os.path.join(folder, "banking_fold*.json")),
                   key=lambda p: int(p.rsplit("fold", 1)[1].split(".")[0]))
    if not files:
        sys.exit(f"name_sets.py: no NLU++ folds in {folder}")
    out = []
    for path in files:
        for r in json.load(open(path)):
            spans = []
            for slot, v in (r.get("slots") or {}).items():
                label = {"person_name": "PERSON", "company_name": "ORGANIZATION"}.get(slot)
                if label:
                    spans.append({"entity_type": label, "start_position": v["span"][0],
                                  "end_position": v["span"][1]})
            out.append({"full_text": r["text"], "spans": spans})
    return out


def wnut17():
    path = os.path.join(ROOT, "wnut17", "emerging.dev.conll")
    if not os.path.exists(path):
        sys.exit(f"name_sets.py: {path} is missing")
    labels = {"person": "PERSON", "location": "LOCATION", "corporation": "ORGANIZATION"}
    out, tokens = [], []

    def flush():
        if not tokens:
            return
        text, spans, cur = "", [], None
        for tok, tag in tokens:
            if text:
                text += " "
            start = len(text)
            text += tok
            if tag.startswith("B-") or (tag.startswith("I-") and cur is None):
                cur = {"entity_type": labels.get(tag[2:], tag[2:].upper()),
                       "start_position": start, "end_position": len(text)}
                spans.append(cur)
            elif tag.startswith("I-"):
                cur["end_position"] = len(text)
            else:
                cur = None
        out.append({"full_text": text, "spans": spans})
        tokens.clear()

    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip():
            flush()
            continue
        tok, tag = line.split("\t")
        tokens.append((tok, tag))
    flush()
    return out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "/tmp"
    for name, records in (("nlupp", nlupp()), ("wnut17", wnut17())):
        path = os.path.join(out_dir, f"names_{name}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(records, f, ensure_ascii=False)
        people = sum(1 for r in records for s in r["spans"] if s["entity_type"] == "PERSON")
        print(f"{path}: {len(records)} records, {people} PERSON spans")


if __name__ == "__main__":
    main()
