#!/usr/bin/env python3
"""Builds the place and currency gazetteer compiled into parley_analysis_entities.

Sources, all Debian packages installed by scripts/install-deps.sh (nothing is
copied into the repository):
  * iso-codes (LGPL-2.1+): country names (ISO 3166-1 name, common and official
    names), names of first-level subdivisions (ISO 3166-2 states, provinces,
    regions, counties, ...), and currency codes (ISO 4217);
  * tzdata: the city of every time zone (zone.tab), "New_York" -> "New York";
  * python3-fake-factory (Faker, MIT): the city, state and province lists of
    its address providers (real place names for several locales);
  * wamerican: the English word list, to flag places that are also ordinary
    lowercase words ("Reading", "Nice", "Mobile"), which need a capital
    letter and more evidence.

Writes a C++ source defining `parley::analysis::entities::kPlaceListData`:
one "<flags>\t<key>" line per entry, the key lower-cased (ASCII letters
only, so that the C++ side can do the same without Unicode tables), flags
from {N (country), R (region: state, province, ...), Y (city), K (ISO 4217
currency code, key upper-case), C (also a common lowercase English word)}.
When a source is missing the list is shorter; the build says so.

usage: gen_place_lists.py OUTPUT.cc
"""
import importlib
import json
import pkgutil
import sys

ISO_DIR = "/usr/share/iso-codes/json"
DICT_PATH = "/usr/share/dict/american-english"
ZONE_TAB = "/usr/share/zoneinfo/zone.tab"

# Subdivision types that name places people say ("Texas", "Bavaria",
# "Ontario"); districts and municipalities are too many and too obscure.
REGION_TYPES = {"State", "Province", "Region", "Country", "County", "Prefecture",
                "Autonomous region", "Autonomous community", "Territory", "Canton",
                "Land", "Federal district", "Emirate", "Nation", "Republic",
                "Autonomous province", "Metropolitan region", "Autonomous city"}


# Locales whose city lists are thousands of villages ("Best", "Born"), more
# noise than help for English text.
SKIP_CITY_LOCALES = {"nl_BE", "nl_NL", "sk_SK", "cs_CZ", "fi_FI"}


def lower_ascii(s):
    return "".join(c.lower() if c.isascii() else c for c in s)


def warn(msg):
    print(f"gen_place_lists: {msg}", file=sys.stderr)


def load_json(name):
    try:
        with open(f"{ISO_DIR}/{name}", encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        warn(f"{ISO_DIR}/{name} unavailable ({e}); install iso-codes")
        return {}


def clean(name):
    # "Korea, Republic of" -> "Korea"; "Bolivia, Plurinational State of" -> "Bolivia".
    name = name.split(",")[0].split("(")[0].strip()
    return name if name and len(name) <= 40 else ""


def load_faker(entries):
    if "/usr/lib/python3/dist-packages" not in sys.path:
        sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import faker.providers.address as address
    except Exception as e:
        warn(f"Faker address lists unavailable ({e})")
        return
    for module in pkgutil.iter_modules(address.__path__):
        try:
            provider = importlib.import_module(f"{address.__name__}.{module.name}").Provider
        except Exception:
            continue
        if module.name in SKIP_CITY_LOCALES:
            continue
        for attr, flag in (("cities", "Y"), ("city_names", "Y"), ("real_city_names", "Y"),
                           ("states", "R"), ("provinces", "R"), ("regions", "R"),
                           ("countries", "N")):
            values = getattr(provider, attr, None)
            if isinstance(values, dict):
                values = list(values.keys())
            if not isinstance(values, (list, tuple)):
                continue
            for v in values:
                if isinstance(v, str):
                    add(entries, clean(v), flag)


def add(entries, name, flag):
    if not name or len(name) < 2:
        return
    entries.setdefault(lower_ascii(name), set()).add(flag)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    entries = {}
    for c in load_json("iso_3166-1.json").get("3166-1", []):
        for key in ("name", "common_name", "official_name"):
            if key in c:
                add(entries, clean(c[key]), "N")
    for s in load_json("iso_3166-2.json").get("3166-2", []):
        if s.get("type") in REGION_TYPES:
            add(entries, clean(s["name"]), "R")
    codes = [c["alpha_3"] for c in load_json("iso_4217.json").get("4217", []) if "alpha_3" in c]
    try:
        with open(ZONE_TAB, encoding="utf-8") as f:
            for line in f:
                if line.startswith("#"):
                    continue
                cols = line.rstrip("\n").split("\t")
                if len(cols) < 3 or cols[2].startswith("Antarctica/"):
                    continue
                add(entries, cols[2].split("/")[-1].replace("_", " "), "Y")
    except OSError as e:
        warn(f"{ZONE_TAB} unavailable ({e})")
    load_faker(entries)
    try:
        with open(DICT_PATH, encoding="utf-8", errors="replace") as f:
            words = {w.strip() for w in f if w.strip() and w[0].islower()}
    except OSError as e:
        warn(f"{DICT_PATH} unavailable ({e}); no common-word flags")
        words = set()
    lines = []
    for key in sorted(entries):
        flags = entries[key]
        if key in words:
            flags.add("C")
        lines.append("".join(sorted(flags)) + "\t" + key)
    for code in sorted(set(codes)):
        lines.append("K\t" + code)
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        out.write("// Generated by src/analysis/entities/gen_place_lists.py; do not edit.\n")
        out.write('#include "analysis/entities/gazetteer.h"\n\n')
        out.write("namespace parley::analysis::entities {\n\n")
        out.write(f"const int kPlaceListSize = {len(lines)};\n")
        out.write("const char kPlaceListData[] =\n")
        if not lines:
            out.write('    "";\n')
        for i, line in enumerate(lines):
            escaped = line.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
            end = ";" if i == len(lines) - 1 else ""
            out.write(f'    "{escaped}\\n"{end}\n')
        out.write("\n}  // namespace parley::analysis::entities\n")
    warn(f"{len(lines)} entries")


if __name__ == "__main__":
    main()
