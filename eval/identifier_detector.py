"""Precision and recall of the identifier detector (bot.identifiers), and its false alarms.

    PYTHONPATH=$PWD .venv/bin/python eval/identifier_detector.py [--n 1200] [--bank PATH/TO/question-bank.jsonl]

- Recall: the share of generated identifiers (eval/identifier_variants.py: >= 1,000 messages) whose every
  letter and digit is inside a finding; per kind, and overall. "NHS numbers warned": the share of
  messages carrying an NHS number that the detector flags at all (so the poster is warned).
- Precision: the share of findings that overlap a generated identifier.
- False alarms (target 0): every line of the corpus (`knowledge/`, with its own help-line numbers allowed
  and the names and addresses it quotes, as the product allows them), every question-bank question that carries no identifier (categories other
  than "identifier" and "pii"), and the controls (SNOMED codes, ODS codes, help lines, guidance dates).
  Each false alarm is printed with its kind (not its text when it came from the bank: read it there).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

from identifier_variants import CONTROLS, variants  # noqa: E402

from bot.identifiers import find_identifiers, public_identifiers  # noqa: E402

IDENTIFIER_CATEGORIES = {"identifier", "pii"}


def _covered(text: str, start: int, end: int, findings) -> bool:
    return all(any(f.start <= i < f.end for f in findings) for i in range(start, end) if text[i].isalnum())


def measure_variants(n: int, seed: int) -> dict:
    found_by_kind, total_by_kind = Counter(), Counter()
    true_findings = all_findings = nhs_msgs = nhs_warned = 0
    misses: list[str] = []
    for v in variants(n, seed):
        findings = find_identifiers(v.text)
        for kind, a, b in v.truth:
            total_by_kind[kind] += 1
            if _covered(v.text, a, b, findings):
                found_by_kind[kind] += 1
            elif len(misses) < 25:
                misses.append(f"{kind}: {v.text!r}")
        for f in findings:
            all_findings += 1
            true_findings += any(f.start < b and a < f.end for _k, a, b in v.truth)
        if any(k == "nhs_number" for k, _a, _b in v.truth):
            nhs_msgs += 1
            nhs_warned += bool(findings)
    return {"messages": n, "identifiers": sum(total_by_kind.values()),
            "recall": sum(found_by_kind.values()) / max(1, sum(total_by_kind.values())),
            "precision": true_findings / max(1, all_findings),
            "recall_by_kind": {k: f"{found_by_kind[k]}/{total_by_kind[k]}" for k in sorted(total_by_kind)},
            "nhs_warned": f"{nhs_warned}/{nhs_msgs}", "misses": misses}


def unlisted_names(n: int, seed: int) -> tuple[int, int, int]:
    """Names the detector's lists (Faker en_GB) do not hold: given names from Faker's en_US, en_IE and en_IN
    providers that are not in en_GB, untitled, capitalised / lower case / after a title. (found, total, of
    which found when capitalised)."""
    import random

    from faker.providers.person import en_GB, en_IE, en_IN, en_US

    listed = {x.lower() for x in (*en_GB.Provider.first_names_male, *en_GB.Provider.first_names_female)}
    pool = sorted({x for p in (en_US, en_IE, en_IN) for x in (*p.Provider.first_names_male, *p.Provider.first_names_female)
                   if x.lower() not in listed and x.isalpha()})
    surnames = sorted({x for p in (en_US, en_IE, en_IN) for x in p.Provider.last_names if x.isalpha()})
    rng = random.Random(seed)
    found = total = cap_found = 0
    for i in range(n):
        name = f"{rng.choice(pool)} {rng.choice(surnames)}"
        form = i % 3
        shown = name if form == 0 else name.lower() if form == 1 else f"Mrs {name}"
        text = f"can someone check {shown} please, she wants online access"
        a = text.index(shown)
        total += 1
        ok = _covered(text, a, a + len(shown), find_identifiers(text))
        found += ok
        cap_found += ok and form == 0
    return found, total, cap_found


def false_alarms(bank: Path | None) -> dict:
    corpus = [p for p in sorted((ROOT / "knowledge").rglob("*")) if p.suffix in (".md", ".yaml", ".yml")]
    public = set().union(*(public_identifiers(p.read_text(encoding="utf-8")) for p in corpus))  # as the index does
    numbers_only = {p for p in public if p[:1].isdigit()}
    alarms: dict[str, list[str]] = {"corpus": [], "bank": [], "controls": []}
    quoted: Counter = Counter()  # what the allow-list of quoted names and addresses lets through
    lines = 0
    for path in corpus:
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            lines += 1
            for f in find_identifiers(line, public_numbers=public):
                alarms["corpus"].append(f"{path.relative_to(ROOT)}:{no} {f.kind} {f.text_in(line)!r}")
            for f in find_identifiers(line, public_numbers=numbers_only):
                quoted[f.kind] += 1
    questions = 0
    if bank is not None and bank.exists():
        for row in map(json.loads, bank.read_text(encoding="utf-8").splitlines()):
            if row.get("category") in IDENTIFIER_CATEGORIES:
                continue
            questions += 1
            for f in find_identifiers(row["question"], public_numbers=public):
                alarms["bank"].append(f"{row['id']} ({row.get('split')}) {f.kind}")
    for text in CONTROLS:
        for f in find_identifiers(text, public_numbers=public):
            alarms["controls"].append(f"{f.kind} {f.text_in(text)!r} in {text!r}")
    return {"corpus_lines": lines, "bank_questions": questions, "controls": len(CONTROLS), "alarms": alarms,
            "quoted": dict(quoted)}


def mistyped_nhs_numbers(n: int, seed: int) -> tuple[int, int, int, int]:
    """Ten-digit numbers with a wrong check digit (a mistyped or invented NHS number), in the 3-3-4 grouping (spaces
    of any width) alone, or run together beside a name: (redacted grouped, of, redacted beside a name, of). Redacted
    as any kind counts (one starting with 0 reads as a phone number)."""
    import random

    from faker import Faker
    from identifier_variants import FRAMES, NHS_SEPARATORS, _nhs_number

    rng, fake = random.Random(seed), Faker("en_GB")
    fake.seed_instance(seed)
    caught = {"grouped": 0, "beside": 0}
    for _ in range(n):
        good = _nhs_number(rng)
        bad = good[:9] + str((int(good[9]) + rng.randrange(1, 10)) % 10)
        frame = rng.choice(FRAMES)
        sep = rng.choice([s for s in NHS_SEPARATORS if s and s.strip(" \u00a0\u202f\u2009") == ""])
        for form, number, name in (("grouped", sep.join((bad[:3], bad[3:6], bad[6:])), ""),
                                   ("beside", bad, f"{fake.first_name()} {fake.last_name()} ")):
            text = frame.replace("{x}", name + number)
            start = text.index(number)
            caught[form] += any(f.start <= start and start + len(number) <= f.end for f in find_identifiers(text))
    return caught["grouped"], n, caught["beside"], n


STREET_TYPES = ["Road", "Street", "Avenue", "Lane", "Close", "Drive", "Way", "Crescent", "Court", "Place", "Gardens",
                "Grove", "Terrace", "Hill", "Mews", "Park", "View", "Rise"]


def other_forms(n: int, seed: int) -> dict[str, tuple[int, int]]:
    """Kinds outside the variants, generated here: a UK street address (house or flat number, a surname or place word
    from Faker, a UK street type; a third in lower case), a hospital or record number after its name, a listed
    surname right after "pt" or "patient" in any case, and a mistyped NHS number typed alone as ten digits, starting
    as issued numbers do. (found, of) per kind; the street
    types and record cues are the detector's own, so this checks the rules' reach, not their vocabulary."""
    import random

    from faker import Faker
    from identifier_variants import FRAMES, _nhs_number

    rng, fake = random.Random(seed), Faker("en_GB")
    fake.seed_instance(seed)
    found = Counter()
    for _ in range(n):
        street = f"{rng.choice([fake.last_name(), fake.city()])} {rng.choice(STREET_TYPES)}"
        number = rng.choice([str(rng.randrange(1, 300)), f"{rng.randrange(1, 99)}a", f"Flat {rng.randrange(1, 30)}, "
                             f"{rng.randrange(1, 200)}", f"Flat {rng.randrange(1, 30)},"])
        address = f"{number} {street}"
        address = address.lower() if rng.random() < 0.33 and not street.split()[-1] in ("Close", "Drive", "Way",
                                                                                         "Court", "Place", "Hill",
                                                                                         "Park", "View", "Rise") \
            else address
        record = rng.choice(["hospital number ", "hosp no ", "MRN ", "MRN: ", "EMIS number ", "unit no. "]) + \
            rng.choice(["RXH", "K", "", "A"]) + "".join(str(rng.randrange(10)) for _ in range(rng.choice([6, 7, 8])))
        surname = f"{rng.choice(['pt', 'Pt', 'patient', 'Patient', 'pt.'])} {fake.last_name()}"
        good = _nhs_number(rng)
        while good[0] not in "4679":  # as issued (England and Wales 4, 6, 7; the 999 test range)
            good = _nhs_number(rng)
        alone = good[:9] + str((int(good[9]) + rng.randrange(1, 10)) % 10)
        for kind, shown, secret in (("address", f"she lives at {address} with her ex", address),
                                    ("record_number", record, record.split()[-1]),
                                    ("surname_after_pt", surname, surname.split(" ", 1)[1]),
                                    ("mistyped_alone", alone, alone)):
            text = rng.choice(FRAMES).replace("{x}", shown)
            start = text.index(secret)
            found[kind] += _covered(text, start, start + len(secret), find_identifiers(text))
    return {k: (found[k], n) for k in ("address", "record_number", "surname_after_pt", "mistyped_alone")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bank", type=Path, default=None)
    args = parser.parse_args()
    bank = args.bank or next((p for p in (ROOT.parent / "shared/eval/question-bank.jsonl",
                                          ROOT.parent.parent / "shared/eval/question-bank.jsonl") if p.exists()), None)
    v = measure_variants(args.n, args.seed)
    print(f"variants: {v['messages']} messages, {v['identifiers']} identifiers")
    print(f"precision {v['precision']:.4f}  recall {v['recall']:.4f}  NHS numbers warned {v['nhs_warned']}")
    print("recall by kind: " + ", ".join(f"{k} {x}" for k, x in v["recall_by_kind"].items()))
    for miss in v["misses"]:
        print("  missed " + miss)
    grouped, n_grouped, beside, n_beside = mistyped_nhs_numbers(200, args.seed)
    print(f"mistyped NHS numbers (wrong check digit): 3-3-4 grouped {grouped}/{n_grouped}, run together beside a "
          f"name {beside}/{n_beside}")
    other = other_forms(200, args.seed)
    print("other forms (generated here): " + ", ".join(f"{k} {a}/{b}" for k, (a, b) in other.items()))
    found, total, cap = unlisted_names(300, args.seed)
    print(f"names not in the detector's lists (other Faker locales): {found}/{total} found "
          f"(capitalised {cap}/{total // 3}; lower case and titled make up the rest)")
    fa = false_alarms(bank)
    print(f"false alarms: corpus {len(fa['alarms']['corpus'])} (of {fa['corpus_lines']} lines), "
          f"bank {len(fa['alarms']['bank'])} (of {fa['bank_questions']} questions without identifiers; "
          f"{bank or 'bank not found'}), controls {len(fa['alarms']['controls'])} (of {fa['controls']})")
    print(f"  (the corpus quotes public people and addresses, allowed as its help lines are: {fa['quoted']} "
          "findings without that allow-list)")
    for where, items in fa["alarms"].items():
        for item in items:
            print(f"  {where}: {item}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
