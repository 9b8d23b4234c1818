#!/usr/bin/env python3
"""Speech recognition quality and speed of `parley transcribe` (docs/QUALITY.md).

  python3 bench/asr/asr_quality.py [--parley build/parley] [--decoder-options "..."] [--core N]

- WER on Debian's pocketsphinx-testdata LibriVox utterances (5 files, their
  `transcription` file as reference);
- digit accuracy on the Free Spoken Digit Dataset copy in ../shared/data/fsdd/
  (file name DIGIT_SPEAKER_N.wav): "exact" when the recognised words are the
  one digit word, "first" when the first number word recognised is the digit;
- real-time factor: audio seconds / CPU seconds of the recognition, one
  process (`taskset -c 0`), model loading excluded.
Nothing here is tuned on: the figures are what the general en-US model does.
"""
import argparse, os, re, subprocess, sys

LIBRIVOX = "/usr/share/pocketsphinx/test/data/librivox"
FSDD = os.path.join(os.path.dirname(__file__), "../../../shared/data/fsdd")
DIGITS = {"zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "to": 2, "too": 2, "three": 3, "four": 4,
          "for": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "ate": 8, "nine": 9}


def edit_distance(ref, hyp):
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)]


def transcribe(parley, files, options, core):
    cmd = ["taskset", "-c", str(core), parley, "transcribe"]
    if options:
        cmd += ["--asr-decoder-options", options]
    out = subprocess.run(cmd + files, check=True, capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        f, audio, cpu, words = (line.split("\t") + [""])[:4]
        rows[f] = (float(audio), float(cpu), words.split())
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parley", default="build/parley")
    ap.add_argument("--decoder-options", default="")
    ap.add_argument("--fsdd", default=FSDD)
    ap.add_argument("--core", default=0, type=int, help="the one CPU core to run on")
    args = ap.parse_args()
    audio_s = cpu_s = 0.0

    refs = {}
    for line in open(os.path.join(LIBRIVOX, "transcription")):
        m = re.match(r"<s> (.*) </s> \((.*)\)", line.strip())
        refs[os.path.join(LIBRIVOX, m.group(2) + ".wav")] = m.group(1).split()
    rows = transcribe(args.parley, sorted(refs), args.decoder_options, args.core)
    errors = words = 0
    for f, ref in refs.items():
        a, c, hyp = rows[f]
        audio_s += a; cpu_s += c
        errors += edit_distance(ref, hyp); words += len(ref)
    print(f"librivox: {len(refs)} files, {words} words, WER {100 * errors / words:.1f}%")

    files = sorted(os.path.join(args.fsdd, f) for f in os.listdir(args.fsdd) if f.endswith(".wav"))
    rows = transcribe(args.parley, files, args.decoder_options, args.core)
    exact = first = 0
    for f in files:
        a, c, hyp = rows[f]
        audio_s += a; cpu_s += c
        digit = int(os.path.basename(f).split("_")[0])
        nums = [DIGITS[w] for w in hyp if w in DIGITS]
        exact += len(hyp) == 1 and nums == [digit]
        first += bool(nums) and nums[0] == digit
    print(f"fsdd: {len(files)} files, digit accuracy exact {100 * exact / len(files):.1f}%, "
          f"first number word {100 * first / len(files):.1f}%")
    print(f"speed: {audio_s:.1f} s of audio in {cpu_s:.1f} CPU s: {audio_s / cpu_s:.1f}x real time on one core")


if __name__ == "__main__":
    sys.exit(main())
