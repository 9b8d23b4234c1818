#!/usr/bin/env python3
"""Speech recognition quality and speed of `parley transcribe` (docs/quality/speech.md).

  python3 bench/asr/asr_quality.py [--parley build/parley] [--asr-mode fast|accurate]
      [--decoder-options "..."] [--core N] [--repeat N] [--sets librivox,fsdd,call|dev]

Sets (nothing in the first three is tuned on):
- librivox: WER on Debian's pocketsphinx-testdata LibriVox utterances (5 files,
  16 kHz read speech, their `transcription` file as reference);
- fsdd: digit accuracy on the Free Spoken Digit Dataset copy in
  ../shared/data/fsdd/ (file name DIGIT_SPEAKER_N.wav, 8 kHz): "exact" when the
  recognised words are the one digit word, "first" when the first number word
  recognised is the digit;
- call: a telephone-like two-speaker call made from the same LibriVox
  utterances: 8 kHz, mu-law, stereo (one speaker a channel), turns alternating
  with pauses, so that each channel is mostly silence, as in a contact-centre
  recording; WER per channel against the concatenated references;
- tune: the development set the decoder settings are chosen on, the other
  pocketsphinx-testdata recordings with known words (cards/*.wav,
  goforward.raw, something.raw), at 16 kHz and decimated to 8 kHz;
- tunecall: development too, the 16 kHz tune recordings made into a call as
  `call` is (8 kHz mu-law stereo, alternating turns, pauses); `--sets dev` is
  tune + tunecall.
Real time = audio seconds (a call's length, not x2 for stereo) / CPU seconds
of recognition (`CLOCK_PROCESS_CPUTIME_ID` around each Transcribe, model
loading excluded) in one process pinned to one core (`taskset -c N`); with
--repeat the median CPU time over the runs. Generated audio is written to
--work-dir (default build/asr-bench), never to the repository.
"""
import argparse, math, os, re, statistics, struct, subprocess, sys, wave

TESTDATA = "/usr/share/pocketsphinx/test/data"
LIBRIVOX = os.path.join(TESTDATA, "librivox")
FSDD = os.path.join(os.path.dirname(__file__), "../../../shared/data/fsdd")
DIGITS = {"zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "to": 2, "too": 2, "three": 3, "four": 4,
          "for": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "ate": 8, "nine": 9}
# Call layout: (LibriVox utterance, channel, pause before it in seconds).
CALL_TURNS = [("0870", 1, 1.0), ("0880", 2, 1.5), ("0890", 1, 2.0), ("0920", 2, 1.2), ("0930", 1, 2.5)]
CALL_TAIL_S = 3.0


def edit_distance(ref, hyp):
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)]


def read_pcm16(path):
    with wave.open(path) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        return w.getframerate(), list(struct.unpack(f"<{w.getnframes()}h", w.readframes(w.getnframes())))


def decimate2(x):
    """16 kHz -> 8 kHz: a 63-tap windowed-sinc low-pass at 3.6 kHz, every second sample."""
    taps = 63
    h = []
    for n in range(taps):
        t = n - (taps - 1) / 2
        sinc = 2 * 0.225 if t == 0 else math.sin(2 * math.pi * 0.225 * t) / (math.pi * t)
        h.append(sinc * (0.54 - 0.46 * math.cos(2 * math.pi * n / (taps - 1))))
    half = taps // 2
    padded = [0] * half + x + [0] * half
    return [max(-32768, min(32767, round(sum(a * b for a, b in zip(h, padded[i:i + taps])))))
            for i in range(0, len(x), 2)]


def mulaw(s):
    sign = 0x80 if s < 0 else 0
    s = min(abs(s), 32635) + 0x84
    exp = max(0, s.bit_length() - 8)
    return ~(sign | (exp << 4) | ((s >> (exp + 3)) & 0x0F)) & 0xFF


def write_wav(path, rate, channels, frames_pcm, mu_law=False):
    """frames_pcm: one list of 16-bit samples per channel, equal lengths."""
    n = len(frames_pcm[0])
    if mu_law:
        body = bytes(mulaw(frames_pcm[c][i]) for i in range(n) for c in range(channels))
        fmt = struct.pack("<HHIIHHH", 7, channels, rate, rate * channels, channels, 8, 0)
    else:
        body = struct.pack(f"<{n * channels}h", *(frames_pcm[c][i] for i in range(n) for c in range(channels)))
        fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * 2 * channels, 2 * channels, 16)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(body)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(body)) + body)


def librivox_refs():
    refs = {}
    for line in open(os.path.join(LIBRIVOX, "transcription")):
        m = re.match(r"<s> (.*) </s> \((.*)\)", line.strip())
        refs[m.group(2)] = m.group(1).split()
    return refs


def librivox_path(utt_id):
    return os.path.join(LIBRIVOX, utt_id + ".wav")


def make_call(work):
    """The two-speaker 8 kHz mu-law call; returns (path, {channel: reference words})."""
    refs = librivox_refs()
    by_id = {k.rsplit("-", 1)[1]: k for k in refs}
    turns = [(librivox_path(by_id[utt]), refs[by_id[utt]], ch, pause) for utt, ch, pause in CALL_TURNS]
    return make_stereo_call(os.path.join(work, "call_8k_mulaw_stereo.wav"), turns)


def make_stereo_call(path, turns):
    """turns: (16 kHz mono wav, reference words, channel, pause before it in seconds). Writes
    an 8 kHz mu-law stereo call with the turns alternating, each channel silent (line noise)
    while the other speaks; returns (path, {channel: reference words})."""
    channel_refs = {1: [], 2: []}
    for _, words, ch, _ in turns:
        channel_refs[ch] += words
    if os.path.exists(path):
        return path, channel_refs
    chans = {1: [], 2: []}
    for wav, _, ch, pause in turns:
        rate, pcm = read_pcm16(wav)
        assert rate == 16000
        pcm = decimate2(pcm)
        gap = [0] * int(pause * 8000)
        chans[ch] += gap + pcm
        chans[3 - ch] += gap + [0] * len(pcm)
    for ch in chans:
        chans[ch] += [0] * int(CALL_TAIL_S * 8000)
        # Line noise (about -60 dBFS) so silence is not digital zero.
        chans[ch] = [s + ((i * 7919 + ch * 104729) % 61) - 30 for i, s in enumerate(chans[ch])]
    write_wav(path, 8000, 2, [chans[1], chans[2]], mu_law=True)
    return path, channel_refs


def make_tune(work):
    """The tuning recordings with their reference words: 16 kHz and 8 kHz copies."""
    items = []
    for line in open(os.path.join(TESTDATA, "cards/cards.transcription")):
        m = re.match(r"<s> (.*) </s> \((.*)\)", line.strip())
        items.append((os.path.join(TESTDATA, "cards", m.group(2) + ".wav"), m.group(1).split()))
    for name, words in [("goforward", "go forward ten meters"), ("something", "go somewhere and do something")]:
        path = os.path.join(work, name + ".wav")
        if not os.path.exists(path):
            raw = open(os.path.join(TESTDATA, name + ".raw"), "rb").read()
            pcm = list(struct.unpack(f"<{len(raw) // 2}h", raw[: len(raw) // 2 * 2]))
            write_wav(path, 16000, 1, [pcm])
        items.append((path, words.split()))
    out = []
    for path, words in items:
        out.append((path, words))
        low = os.path.join(work, "tune8k_" + os.path.basename(path))
        if not os.path.exists(low):
            rate, pcm = read_pcm16(path)
            write_wav(low, 8000, 1, [decimate2(pcm)])
        out.append((low, words))
    return out


def make_tune_call(work):
    """A call like `call` made from the 16 kHz tuning recordings (development audio with
    the long pauses of a contact-centre recording): (path, {channel: reference words})."""
    items = [(p, w) for p, w in make_tune(work) if not os.path.basename(p).startswith("tune8k_")]
    pauses = [1.0, 1.5, 2.0, 1.2, 2.5, 1.8, 1.3]
    turns = [(p, w, 1 + i % 2, pauses[i % len(pauses)]) for i, (p, w) in enumerate(items)]
    return make_stereo_call(os.path.join(work, "tunecall_8k_mulaw_stereo.wav"), turns)


def transcribe(args, files, json_words=False):
    """{file: (audio seconds, [CPU seconds per run], words or {channel: words})}."""
    cmd = ["taskset", "-c", str(args.core), args.parley, "transcribe"]
    if args.asr_mode:
        cmd += ["--asr-mode", args.asr_mode]
    if args.decoder_options:
        cmd += ["--asr-decoder-options", args.decoder_options]
    rows = {}
    for _ in range(args.repeat):
        out = subprocess.run(cmd + files, check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            f, audio, cpu, words = (line.split("\t") + [""])[:4]
            if f in rows:
                rows[f][1].append(float(cpu))
            else:
                rows[f] = (float(audio), [float(cpu)], words.split())
    return rows


def channel_words(args, path):
    import json
    cmd = [args.parley, "transcribe", "--json"]
    if args.asr_mode:
        cmd += ["--asr-mode", args.asr_mode]
    if args.decoder_options:
        cmd += ["--asr-decoder-options", args.decoder_options]
    out = json.loads(subprocess.run(cmd + [path], check=True, capture_output=True, text=True).stdout)
    words = {1: [], 2: []}
    for w in out["words"]:
        words[w["channel"]].append(w["word"])
    return words


def speed(rows):
    audio = sum(r[0] for r in rows.values())
    runs = len(next(iter(rows.values()))[1])
    cpu = statistics.median(sum(r[1][i] for r in rows.values()) for i in range(runs))
    return audio, cpu


def report(name, rows, quality, totals):
    audio, cpu = speed(rows)
    totals[0] += audio
    totals[1] += cpu
    print(f"{name}: {quality}; {audio:.1f} s of audio in {cpu:.2f} CPU s: {audio / cpu:.1f}x real time")


def wer_of(pairs):
    errors = sum(edit_distance(ref, hyp) for ref, hyp in pairs)
    words = sum(len(ref) for ref, _ in pairs)
    return f"{len(pairs)} files, {words} words, WER {100 * errors / words:.1f}%"


def report_call(args, name, call, totals):
    """A stereo call: WER per channel against its turns' words, speed against its length."""
    path, refs = call
    rows = transcribe(args, [path])
    hyp = channel_words(args, path)
    report(name, rows, wer_of([(refs[c], hyp[c]) for c in (1, 2)]).replace("files", "channels"), totals)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parley", default="build/parley")
    ap.add_argument("--asr-mode", default="", help="fast or accurate (parley's default when empty)")
    ap.add_argument("--decoder-options", default="")
    ap.add_argument("--fsdd", default=FSDD)
    ap.add_argument("--core", default=0, type=int, help="the one CPU core to run on")
    ap.add_argument("--repeat", default=1, type=int, help="runs; CPU time is their median")
    ap.add_argument("--sets", default="librivox,fsdd,call", help="comma-separated: librivox,fsdd,call (test); tune,tunecall (development; dev = both)")
    ap.add_argument("--work-dir", default="build/asr-bench")
    args = ap.parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    sets = args.sets.replace("dev", "tune,tunecall").split(",")
    totals = [0.0, 0.0]

    if "librivox" in sets:
        refs = librivox_refs()
        rows = transcribe(args, [librivox_path(k) for k in sorted(refs)])
        report("librivox", rows, wer_of([(refs[k], rows[librivox_path(k)][2]) for k in refs]), totals)

    if "fsdd" in sets:
        files = sorted(os.path.join(args.fsdd, f) for f in os.listdir(args.fsdd) if f.endswith(".wav"))
        rows = transcribe(args, files)
        exact = first = 0
        for f in files:
            hyp = rows[f][2]
            digit = int(os.path.basename(f).split("_")[0])
            nums = [DIGITS[w] for w in hyp if w in DIGITS]
            exact += len(hyp) == 1 and nums == [digit]
            first += bool(nums) and nums[0] == digit
        report("fsdd", rows, f"{len(files)} files, digit accuracy exact {100 * exact / len(files):.1f}%, "
               f"first number word {100 * first / len(files):.1f}%", totals)

    if "call" in sets:
        report_call(args, "call (8 kHz mu-law stereo, LibriVox turns with pauses)", make_call(args.work_dir), totals)

    if "tune" in sets:
        items = make_tune(args.work_dir)
        rows = transcribe(args, [p for p, _ in items])
        report("tune (development, not a test set)", rows, wer_of([(ref, rows[p][2]) for p, ref in items]), totals)

    if "tunecall" in sets:
        report_call(args, "tunecall (development: the tune recordings as an 8 kHz call with pauses)",
                    make_tune_call(args.work_dir), totals)

    if totals[1] > 0:
        print(f"speed: {totals[0]:.1f} s of audio in {totals[1]:.2f} CPU s: "
              f"{totals[0] / totals[1]:.1f}x real time on one core")


if __name__ == "__main__":
    sys.exit(main())
