"""ElevateAI's official Python SDK (Client.py, used unchanged from
$ELEVATEAI_SDK_DIR) against a live `parley serve`: declare -> upload (a WAV
made here) -> status -> transcripts -> AI results, and the same reads for a
declared transcript and chat. Needs python3-requests (Debian).

Run: PARLEY_BIN=build/parley ELEVATEAI_SDK_DIR=../shared/clients/elevateai-python-sdk \
     python3 tests/compat/elevateai_sdk_test.py
"""
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import wave

SDK_DIR = os.environ.get("ELEVATEAI_SDK_DIR", "")
PARLEY_BIN = os.environ.get("PARLEY_BIN", "build/parley")


CARDS = "/usr/share/pocketsphinx/test/data/cards"  # Debian's pocketsphinx-testdata


def make_wav(path):
    """A stereo 16 kHz WAV made here from two mono recordings: "ten of clubs"
    on channel 1 (the agent), then "seven of clubs" on channel 2."""
    chans = []
    for name in ("001.wav", "003.wav"):
        with wave.open(os.path.join(CARDS, name), "rb") as w:
            assert w.getnchannels() == 1 and w.getsampwidth() == 2
            rate = w.getframerate()
            chans.append(struct.unpack("<%dh" % w.getnframes(), w.readframes(w.getnframes())))
    one, two = chans
    gap = [0] * (rate // 2)
    left = list(one) + gap + [0] * len(two)
    right = [0] * (len(one) + len(gap)) + list(two)
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<hh", a, b) for a, b in zip(left, right)))


def store_args(data_dir):
    """`parley serve` arguments that put the store in the test PostgreSQL
    cluster when PARLEY_PG_STATE names one (the CTest fixture `postgres`,
    as tests/store/pg_store.mjs does for the Node tests: a schema of its
    own, named after the data directory); [] for SQLite."""
    state = os.environ.get("PARLEY_PG_STATE")
    if not state:
        return []
    with open(os.path.join(state, "url")) as f:
        admin = f.read().strip()
    schema = "s_" + hashlib.sha256(os.path.abspath(data_dir).encode()).hexdigest()[:20]
    subprocess.run(["psql", admin, "-qXAtc", "CREATE SCHEMA IF NOT EXISTS %s" % schema], check=True,
                   stdout=subprocess.DEVNULL)
    return ["--store", "%s&application_name=%s&options=-csearch_path%%3D%s" % (admin, schema, schema)]


class ElevateAiSdkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not SDK_DIR or not os.path.exists(os.path.join(SDK_DIR, "Client.py")):
            raise RuntimeError("set ELEVATEAI_SDK_DIR to the folder of the ElevateAI Python SDK (Client.py); ctest sets it to ../shared/clients/elevateai-python-sdk")
        sys.path.insert(0, SDK_DIR)
        global Client
        from Client import Client  # noqa: E402  (the SDK, unchanged)
        cls.tmp = tempfile.TemporaryDirectory()
        data_dir = os.path.join(cls.tmp.name, "data")
        cls.proc = subprocess.Popen(
            [PARLEY_BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir] + store_args(data_dir),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 20
        port = None
        while time.time() < deadline and port is None:
            line = cls.proc.stderr.readline()
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line or "")
            if m:
                port = int(m.group(1))
        if port is None:
            cls.proc.kill()
            raise RuntimeError("parley did not start")
        cls.client = Client(url="http://127.0.0.1:%d/v1" % port, token="dev-token")

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(timeout=10)
        cls.tmp.cleanup()

    def test_audio_declare_upload_status_transcripts_ai(self):
        wav = os.path.join(self.tmp.name, "call.wav")
        make_wav(wav)
        entry = self.client.declare(languageTag="en-us", transcriptionMode="highAccuracy", mediafile=wav)
        self.assertRegex(entry["interactionIdentifier"], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        # declare() uploaded the file (multipart, part name "") and read the
        # status: the upload answers once the file is stored and its
        # transcription queued; the job queue transcribes it afterwards, and
        # the client polls status() until it is processed, as ElevateAI's
        # own documentation tells it to.
        self.assertIn(entry["status"], ("fileUploaded", "processing", "processed"))
        deadline = time.time() + 30
        status = entry["status"]
        while status != "processed" and time.time() < deadline:
            self.assertNotEqual(status, "processingFailed")
            time.sleep(0.1)
            status = self.client.status(entry)
        self.assertEqual(status, "processed")
        tx = self.client.transcripts(entry)
        self.assertEqual([(s["participant"], s["phrase"]) for s in tx["sentenceSegments"]],
                         [("participantOne", "Ten of clubs."), ("participantTwo", "Seven of clubs.")])
        words = self.client.transcripts(entry, punctuated=False)
        first = words["participantOne"]["phraseSegments"][0]["words"]
        self.assertEqual([w["phrase"] for w in first], ["ten", "of", "clubs"])
        self.assertLess(first[0]["startTimeOffset"], first[-1]["endTimeOffset"])
        ai = self.client.ai(entry)
        self.assertEqual(ai["participantOne"]["role"], "agent")
        self.assertEqual(ai["participantTwo"]["messageCount"], 1)

    def declare(self, body):
        rsp = self.client.session.post(self.client.declareUri, data=json.dumps(body))
        self.assertEqual(rsp.status_code, 201, rsp.text)
        return rsp.json()

    def test_transcript_status_transcripts_ai(self):
        entry = self.declare({
            "type": "transcript", "languageTag": "en-us", "vertical": "default",
            "transcript": {
                "participantOne": {"phraseSegments": [
                    {"phrase": "Thanks for calling. I have reset your password.", "startTimeOffset": 0, "endTimeOffset": 3000}]},
                "participantTwo": {"phraseSegments": [
                    {"phrase": "I can't log in to my account.", "startTimeOffset": 3500, "endTimeOffset": 5000}]}}})
        self.assertEqual(self.client.status(entry), "processed")
        punctuated = self.client.transcripts(entry)
        self.assertEqual([s["participant"] for s in punctuated["sentenceSegments"]], ["participantOne", "participantTwo"])
        words = self.client.transcripts(entry, punctuated=False)
        self.assertEqual(words["participantTwo"]["phrases"], ["I can't log in to my account."])
        ai = self.client.ai(entry)
        self.assertEqual(ai["participantOne"]["role"], "agent")
        self.assertEqual(ai["participantTwo"]["role"], "customer")
        self.assertIn("score", ai["allParticipants"]["sentiment"])

    def test_chat_status_transcripts_ai(self):
        entry = self.declare({
            "type": "chat", "languageTag": "en-us", "vertical": "default",
            "chat": {"participants": [{"participant id": "a", "name": "Ann", "role": "agent"},
                                      {"participant id": "c", "name": "Cy", "role": "customer"}],
                     "messages": [{"participant id": "c", "message": "My parcel never arrived, I'm upset."},
                                  {"participant id": "a", "message": "I'm sorry. I will send a replacement today."}]}})
        self.assertEqual(self.client.status(entry), "processed")
        self.assertEqual(len(self.client.transcripts(entry)["sentenceSegments"]), 2)
        ai = self.client.ai(entry)
        apology = [b for b in ai["participantOne"]["behaviors"] if b["name"] == "apology"][0]
        self.assertEqual(apology["count"], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
