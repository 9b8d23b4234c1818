#!/usr/bin/env python3
"""A small contact-centre language model for the embedded recogniser (experiment;
docs/quality/speech.md, "Domain language model").

  python3 bench/asr/domain_lm.py [--out-dir build/asr-bench/domain-lm] [--min-count 2]

Training text: the customer-service and task dialogues and queries in ../shared/data that no
speech measurement uses (SGD's USER/SYSTEM turns, banking77 train, CLINC150 train + oos_train,
the ABCD sample chats). Never the speech sets' transcripts (LibriVox, FSDD, the call set), and not
DialogSum (kept for evaluating summaries). Text is lower-cased; numbers become spoken words
("2" -> "two", "1500" -> "one five zero zero"); words without a cmudict-en-us entry become
<unk>. A backoff trigram model with absolute discounting (D = 0.7), trigrams seen once
dropped, written as ARPA and converted with sphinx_lm_convert (sphinxbase-utils) to
domain.lm.bin; domain.dict holds the cmudict entries of its words. Use it with:

  python3 bench/asr/asr_quality.py --asr-mode fast \
      --decoder-options "-lm build/asr-bench/domain-lm/domain.lm.bin -dict build/asr-bench/domain-lm/domain.dict"
"""
import argparse, collections, csv, glob, json, math, os, re, subprocess, sys

DATA = os.path.join(os.path.dirname(__file__), "../../../shared/data")
CMUDICT = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"
ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen " \
       "sixteen seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
D = 0.7


def spoken_number(digits):
    n = int(digits)
    if len(digits) > 1 and digits[0] == "0" or n >= 100:
        return [ONES[int(c)] for c in digits]
    if n < 20:
        return [ONES[n]]
    return [TENS[n // 10]] + ([ONES[n % 10]] if n % 10 else [])


def sentences():
    for path in sorted(glob.glob(os.path.join(DATA, "sgd", "dev_dialogues_*.json"))):
        for dialogue in json.load(open(path)):
            for turn in dialogue["turns"]:
                yield turn["utterance"]
    with open(os.path.join(DATA, "banking77", "train.csv")) as f:
        for row in csv.DictReader(f):
            yield row["text"]
    clinc = json.load(open(os.path.join(DATA, "clinc150", "clinc150_train_val.json")))
    for split in ("train", "oos_train"):
        for text, _ in clinc[split]:
            yield text
    for convo in json.load(open(os.path.join(DATA, "abcd", "abcd_sample.json"))):
        for _, text in convo["original"]:
            yield text


def words_of(text, vocab):
    out = []
    for tok in re.findall(r"[a-z]+(?:'[a-z]+)?|\d+(?:st|nd|rd|th)?", text.lower()):
        if tok[0].isdigit():
            tok = tok.rstrip("stndrh")  # "9th" -> "9": the cardinal, close enough for a language model
        for w in spoken_number(tok) if tok.isdigit() else [tok]:
            out.append(w if w in vocab else "<unk>")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out-dir", default="build/asr-bench/domain-lm")
    ap.add_argument("--min-count", type=int, default=2, help="trigrams seen fewer times are dropped")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    pron = collections.defaultdict(list)
    for line in open(CMUDICT):
        word = line.split()[0]
        pron[re.sub(r"\(\d+\)$", "", word)].append(line.rstrip("\n"))

    uni, bi, tri = collections.Counter(), collections.Counter(), collections.Counter()
    n_sent = 0
    for text in sentences():
        ws = words_of(text, pron)
        if not ws:
            continue
        n_sent += 1
        s = ["<s>"] + ws + ["</s>"]
        uni.update(s[1:])
        uni["<s>"] += 1
        bi.update(zip(s, s[1:]))
        tri.update(zip(s, s[1:], s[2:]))
    tri = {k: c for k, c in tri.items() if c >= args.min_count}

    total = sum(c for w, c in uni.items() if w != "<s>")
    p1 = {w: c / total for w, c in uni.items() if w != "<s>"}
    p1["<s>"] = 0.0
    # Bigrams: absolute discounting, backoff to unigrams.
    hist1 = collections.Counter()
    fol1 = collections.Counter()
    for (a, b), c in bi.items():
        hist1[a] += c
        fol1[a] += 1
    p2 = {(a, b): (c - D) / hist1[a] for (a, b), c in bi.items()}
    seen1 = collections.defaultdict(float)
    for (a, b) in bi:
        seen1[a] += p1[b]
    bow1 = {a: (D * fol1[a] / hist1[a]) / max(1e-9, 1 - seen1[a]) for a in hist1}

    def prob2(a, b):
        return p2[(a, b)] if (a, b) in p2 else bow1.get(a, 1.0) * p1[b]

    hist2 = collections.Counter()
    fol2 = collections.Counter()
    for (a, b, _), c in tri.items():
        fol2[(a, b)] += 1
    for (a, b), c in bi.items():
        hist2[(a, b)] = c
    p3 = {(a, b, w): (c - D) / hist2[(a, b)] for (a, b, w), c in tri.items()}
    seen2 = collections.defaultdict(float)
    for (a, b, w) in tri:
        seen2[(a, b)] += prob2(b, w)
    bow2 = {h: (D * fol2[h] / hist2[h]) / max(1e-9, 1 - seen2[h]) for h in fol2}

    arpa = os.path.join(args.out_dir, "domain.arpa")
    lg = lambda p: math.log10(p) if p > 0 else -99.0
    with open(arpa, "w") as f:
        f.write(f"\\data\\\nngram 1={len(p1)}\nngram 2={len(p2)}\nngram 3={len(p3)}\n\n\\1-grams:\n")
        for w in sorted(p1):
            f.write(f"{lg(p1[w]):.4f}\t{w}\t{lg(bow1.get(w, 1.0)):.4f}\n")
        f.write("\n\\2-grams:\n")
        for (a, b) in sorted(p2):
            bo = bow2.get((a, b))
            f.write(f"{lg(p2[(a, b)]):.4f}\t{a} {b}" + (f"\t{lg(bo):.4f}\n" if bo is not None else "\n"))
        f.write("\n\\3-grams:\n")
        for (a, b, w) in sorted(p3):
            f.write(f"{lg(p3[(a, b, w)]):.4f}\t{a} {b} {w}\n")
        f.write("\n\\end\\\n")
    lm_bin = os.path.join(args.out_dir, "domain.lm.bin")
    subprocess.run(["sphinx_lm_convert", "-i", arpa, "-o", lm_bin], check=True, capture_output=True)
    with open(os.path.join(args.out_dir, "domain.dict"), "w") as f:
        for w in sorted(p1):
            for line in pron.get(w, []):
                f.write(line + "\n")
    print(f"{n_sent} sentences, {total} words; {len(p1)} unigrams, {len(p2)} bigrams, {len(p3)} trigrams "
          f"-> {lm_bin} ({os.path.getsize(lm_bin) // 1024} KiB)")


if __name__ == "__main__":
    sys.exit(main())
