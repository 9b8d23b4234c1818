#!/usr/bin/env python3
"""Phone numbers from Faker's phone providers (Debian python3-fake-factory),
20 per locale, as "locale<TAB>number" lines: a development set for
PHONE_NUMBER formats that is independent of the evaluation file.

  bench/pii/faker_phones.py > /tmp/phones.tsv
  cut -f2 /tmp/phones.tsv | sed 's/^/Please call me at /; s/$/./' \
    | build/bench/pii/eval_pii --lines | grep -c PHONE_NUMBER
"""
import importlib
import pkgutil
import sys

sys.path.append("/usr/lib/python3/dist-packages")
import faker.providers.phone_number as providers  # noqa: E402
from faker import Faker  # noqa: E402

for module in pkgutil.iter_modules(providers.__path__):
    try:
        fake = Faker(module.name)
    except Exception:
        continue
    fake.seed_instance(1)
    for _ in range(20):
        print(f"{module.name}\t{fake.phone_number()}")
