#!/usr/bin/env python3
"""Builds the PERSON_NAME gazetteer compiled into parley_analysis_pii.

Sources, both installed by scripts/install-deps.sh (nothing is copied into the
repository):
  * first and last names of every locale of Faker's person provider
    (Debian package python3-fake-factory, MIT/Expat);
  * the English word list of Debian's wamerican package (/usr/share/dict/
    american-english), to flag names that are also common lowercase English
    words ("Will", "Grant", "Young"), which need more evidence;
  * the capitalised words of that list ("Hungary", "Angeles", "Netflix"):
    proper nouns that a reader knows, so that a lower-case word that is in
    no list at all ("tomomi", "gorski") can be told apart from them;
  * the city names of the time zone database (tzdata, zone.tab), to flag
    names that are also well-known places ("Paris", "Florence").

Writes a C++ source defining `parley::analysis::pii::kNameListData`: one
"<flags>\t<Token>" line per capitalised token, flags being F (first name),
L (last name), C (a common lowercase English word; "C" alone for words that
are not names, so the scanner can tell "Credit" from "Tomomi"), P (a
city) and W (a capitalised word of the English word list: a known proper
noun). When a
source is missing the list is shorter and the detector leans on context
cues; the build says so.

usage: gen_name_lists.py OUTPUT.cc
"""
import importlib
import pkgutil
import sys

DICT_PATH = "/usr/share/dict/american-english"
ZONE_TAB = "/usr/share/zoneinfo/zone.tab"


def load_faker_names():
    if "/usr/lib/python3/dist-packages" not in sys.path:
        sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import faker.providers.person as person
    except Exception as e:  # not installed, or not importable by this python
        print(f"gen_name_lists: Faker person names unavailable ({e}); "
              "PERSON_NAME falls back to context cues", file=sys.stderr)
        return set(), set()
    first, last = set(), set()
    for module in pkgutil.iter_modules(person.__path__):
        try:
            provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        except Exception:
            continue
        for attr in dir(provider):
            value = getattr(provider, attr)
            if not isinstance(value, (tuple, list, dict)):
                continue
            if attr.startswith("first_name"):
                first.update(v for v in value if isinstance(v, str))
            elif attr.startswith("last_name"):
                last.update(v for v in value if isinstance(v, str))
    return first, last


def tokens(names):
    # "Jose Angel" and "Heinz-Georg" stay usable token by token; lowercase
    # particles ("da", "van") are handled by the scanner, not the list.
    for name in names:
        for token in name.replace("\t", " ").split(" "):
            if len(token) >= 2 and token[0].isupper():
                yield token


def folded(token):
    """The ASCII spelling of a name as speech recognisers and keyboards often
    write it ("Górski" -> "Gorski", "Łukasz" -> "Lukasz"), or None."""
    import unicodedata
    t = token.translate(str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d",
                                       "Đ": "D", "ß": "ss", "æ": "ae", "Æ": "Ae", "ð": "d",
                                       "þ": "th", "ı": "i"}))
    t = "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))
    return t if t != token and t.isascii() and t.isalpha() else None


def load_common_words():
    try:
        with open(DICT_PATH, encoding="utf-8", errors="replace") as f:
            return {w.strip() for w in f if w.strip() and w[0].islower()}
    except OSError as e:
        print(f"gen_name_lists: {DICT_PATH} unavailable ({e}); "
              "no common-word flags", file=sys.stderr)
        return set()


def load_proper_nouns():
    try:
        with open(DICT_PATH, encoding="utf-8", errors="replace") as f:
            return {w.strip() for w in f
                    if w.strip() and w[0].isupper() and w.strip().isalpha() and len(w.strip()) >= 2}
    except OSError:
        return set()


def load_cities():
    cities = set()
    try:
        with open(ZONE_TAB, encoding="utf-8") as f:
            for line in f:
                if line.startswith("#"):
                    continue
                cols = line.rstrip("\n").split("\t")
                # Antarctic stations are named after people ("Davis", "Casey").
                if len(cols) < 3 or cols[2].startswith("Antarctica/"):
                    continue
                city = cols[2].split("/")[-1]
                if "_" not in city and "-" not in city:
                    cities.add(city)
    except OSError as e:
        print(f"gen_name_lists: {ZONE_TAB} unavailable ({e}); no place flags", file=sys.stderr)
    return cities


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    first, last = load_faker_names()
    words = load_common_words()
    flags = {}
    for token in tokens(first):
        flags.setdefault(token, set()).add("F")
        if folded(token):
            flags.setdefault(folded(token), set()).add("F")
    for token in tokens(last):
        flags.setdefault(token, set()).add("L")
        if folded(token):
            flags.setdefault(folded(token), set()).add("L")
    for word in words:
        if word.isalpha() and len(word) >= 2:
            flags.setdefault(word[0].upper() + word[1:], set()).add("C")
    for noun in load_proper_nouns():
        flags.setdefault(noun, set()).add("W")
    for city in load_cities():
        flags.setdefault(city, set()).add("P")
    lines = []
    for token in sorted(flags):
        f = flags[token]
        if token.lower() in words:
            f.add("C")
        lines.append("".join(sorted(f)) + "\t" + token)
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        out.write("// Generated by src/analysis/pii/gen_name_lists.py; do not edit.\n")
        out.write('#include "analysis/pii/name_lists.h"\n\n')
        out.write("namespace parley::analysis::pii {\n\n")
        out.write(f"const int kNameListSize = {len(lines)};\n")
        out.write("const char kNameListData[] =\n")
        if not lines:
            out.write('    "";\n')
        for i, line in enumerate(lines):
            escaped = line.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
            end = ";" if i == len(lines) - 1 else ""
            out.write(f'    "{escaped}\\n"{end}\n')
        out.write("\n}  // namespace parley::analysis::pii\n")
    print(f"gen_name_lists: {len(lines)} tokens", file=sys.stderr)


if __name__ == "__main__":
    main()
