"""The word lists the name rules read: Faker's en_GB given names and surnames, every other Latin-script provider's
(accents taken off), common English words, and the function words that follow a title or a given name in staff
messages without being names. Lists only (cached); the rules are in `names`.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from bot.identifiers.text import fold

# Words that are not names though they may follow a title or a given name (checked on data: see
# eval/identifier_detector.py, which reports every false alarm on the corpus and the question bank).
_NOT_NAMES = frozenset(
    """
    a an and or but if then so as at by for from in into of on onto to with without about after before
    the this that these those there here it its i we you he she they her his him their them our us my your me
    is are was were be been being am has have had do does did can could should would will shall may might must
    not no yes ok okay hi hello hey dear thanks thank please cheers sorry morning afternoon evening
    who what when where why how which whose whom all any some each every other another same
    mr mrs ms miss mx dr master sir madam prof
    nhs app apps patient patients access online services service gp gps practice practices manager team teams
    record records summary care scr emis web systmone tpp vision epr ehr clinical system systems
    word excel outlook office forms edge windows microsoft google chrome slack
    index said says told asked wants wanted called rang phoned emailed
    monday tuesday wednesday thursday friday saturday sunday
    proxy guidance policy
    dob born date birth number tel phone mobile mob email e-mail postcode address ref age aged
    helpline helplines line lines hotline centre center unit surgery hospital trust council icb
    support advice national domestic abuse foundation charity society association desk
    england digital bma rcgp ico cqc gmc dpo
    cant wont dont didnt doesnt isnt wasnt hasnt havent hadnt shouldnt couldnt wouldnt arent werent
    portal portals participation facing surname surnames forename forenames firstname
    """.split()
)


@lru_cache(maxsize=1)
def name_lists() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(given names, surnames, function words), all lower case."""
    from bm25s.stopwords import STOPWORDS_EN_PLUS
    from faker.providers.person.en_GB import Provider

    given = {n.lower() for n in (*Provider.first_names_male, *Provider.first_names_female)}
    surnames = {n.lower() for n in Provider.last_names}
    stop = frozenset(_NOT_NAMES | {w.lower() for w in STOPWORDS_EN_PLUS})
    return frozenset(given - stop), frozenset(surnames), stop


_WORLD_NAMES = Path(__file__).with_name("world_names.tsv.gz")


def bare(word: str) -> str:
    """A word in lower case without its possessive "'s"."""
    w = word.lower()
    return w[:-2] if w.endswith("'s") else w


# Particles inside names, lower case and with accents folded as `text.normalise` folds them: written only in names
# (Welsh "ap", Irish "Ó", "Ní": plain "ni"/"ui" only before a lenited surname, "ni bhriain"), or ordinary words too
# ("van", "de", "al")
NAME_ONLY_PARTICLES = ("ap", "ab", "ferch", "nic", "ni", "ui", "o")
WORD_PARTICLES = ("van", "von", "der", "den", "de", "di", "da", "dos", "das", "du", "del", "della", "la", "le", "al",
                  "el", "bin", "binti", "bint", "ibn", "mac")


def is_listed(word: str) -> bool:
    """A given name or surname of any list (`word` as written: the derived world list counts only for a capitalised
    word, as "imms rota" or "htn dbs" are shorthand, not names, in lower case)."""
    return is_listed_given(word) or is_listed_surname(word)


def is_listed_given(word: str) -> bool:
    """A given name of any list (`word` as written; see `is_listed`)."""
    lower = bare(word)
    return lower in name_lists()[0] or lower in world_lists_for(word)[0]


def is_listed_surname(word: str, *, faker_only: bool = False) -> bool:
    """A surname of any list (`word` as written; see `is_listed`; `faker_only`: never the derived list)."""
    lower = bare(word)
    return lower in name_lists()[1] or lower in (faker_world_names() if faker_only else world_lists_for(word))[1]


def world_lists_for(word: str) -> tuple[frozenset[str], frozenset[str]]:
    """(given names, surnames) for `word` as written: the derived world list with Faker's when it is capitalised,
    Faker's alone in lower case."""
    return world_names() if word[:1].isupper() else faker_world_names()


def function_words() -> frozenset[str]:
    """The detector's function words, lower case: bm25s's English stop words and the words listed above."""
    return name_lists()[2]


@lru_cache(maxsize=1)
def world_names() -> tuple[frozenset[str], frozenset[str]]:
    """(given names, surnames): Faker's (`faker_world_names`) and the top 2,000 of each of 105 countries
    (`world_names.tsv.gz`, derived by eval/derive_world_names.py: about 80,000 given names and 105,000 surnames, rare
    as English words), less the common English words (`common_words`)."""
    given, surnames = (set(names) for names in faker_world_names())
    with gzip.open(_WORLD_NAMES, "rt", encoding="utf-8") as derived:
        for line in derived:
            kind, name = line.rstrip("\n").split("\t")
            (given if kind == "given" else surnames).add(name)
    common = common_words()
    return frozenset(given - common), frozenset(surnames - common)


@lru_cache(maxsize=1)
def faker_world_names() -> tuple[frozenset[str], frozenset[str]]:
    """(given names, surnames) from every Faker person provider written in Latin letters (about 16,000 surnames),
    lower case with accents taken off as the detector reads text ("Szymańska" -> "szymanska"), less the common
    English words. The narrower list, for a rule a place name could meet ("Santa Maria de Belem")."""
    import importlib
    import pkgutil

    import faker.providers.person as person

    found: dict[str, set[str]] = {"first_names": set(), "last_names": set()}
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{module.name}").Provider
        for attr in dir(provider):
            kind = next((k for k in found if k in attr), None)  # "last_names", "male_last_names", ...
            listed = getattr(provider, attr) if kind else None
            if isinstance(listed, (list, tuple, dict)):
                folded = (fold(n).lower() for n in listed if isinstance(n, str))
                found[kind].update(n for n in folded if n.isascii() and n.replace("-", "").replace("'", "").isalpha())
    # Polish, Czech and Slovak surnames change their ending for a woman: "Zielinski" -> "Zielinska"
    found["last_names"] |= {n[:-1] + "a" for n in found["last_names"] if n.endswith(("ski", "cki", "dzki"))}
    common = common_words()
    return frozenset(found["first_names"] - common), frozenset(found["last_names"] - common)


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Common English words, lower case: Faker's en_US lorem lists (its words and parts of speech, 2,239: "best",
    "kind", "young", "link", "grant", "little", "long") and the function words. A name rule that has only a word's
    look to go on (a listed name from another country, a lower-case pair beside a number) never takes one of these."""
    from faker.providers.lorem.en_US import Provider as Lorem

    english = [*Lorem.word_list, *(w for words in getattr(Lorem, "parts_of_speech", {}).values() for w in words)]
    return frozenset({w.lower() for w in english} | name_lists()[2])


def is_common(word: str) -> bool:
    """A common English word, or one with an inflection taken off ("needs", "asked", "scanning", "queries",
    "stopped", "replied")."""
    w = bare(word)
    common = common_words()
    if w in common:
        return True
    for end, back in (("ies", "y"), ("ied", "y"), ("s", ""), ("es", ""), ("ed", ""), ("d", ""), ("ing", ""), ("ing", "e"),
                      ("er", ""), ("ers", ""), ("ly", "")):
        stem = w[: -len(end)] + back if w.endswith(end) else ""
        # "scanning" -> "scann" -> "scan", "stopped" -> "stop"
        if stem and (stem in common or (len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in common)):
            return True
    return False
