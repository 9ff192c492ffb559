"""Rewriting a user's first-person sentence as a third-person memory, as pure functions.

"oh and btw, I prefer dark mode" -> "User prefers dark mode": :func:`strip_fillers` drops the
discourse words in front, :func:`to_third_person` swaps pronouns and fixes the verb after "I".
"""

from __future__ import annotations

import re

__all__ = ["conjugate", "strip_fillers", "to_third_person"]

_FILLER = re.compile(
    r"^(?:oh|ok|okay|so|well|and|but|also|actually|honestly|btw|by the way|anyway|fyi|plus|"
    r"personally|yeah|yes|no|um|uh|hmm|hey|hi|hello|ah|alright|right|lol|haha|just so you know|"
    r"for the record|for context|(?:please )?(?:remember|note|keep in mind))"
    r"(?: that)?\s*[,:]?\s+",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^[^:]{1,40}:\s+(?=.*\b(?:i|i'm|i've|my|we)\b)", re.IGNORECASE)


def strip_fillers(sentence: str) -> str:
    """``sentence`` without leading discourse words ("oh and btw, I ..." -> "I ...") and short
    labels before a colon ("quick fix: I'm a designer" -> "I'm a designer")."""
    previous = None
    while previous != sentence:
        previous = sentence
        sentence = _LABEL.sub("", _FILLER.sub("", sentence, count=1), count=1)
    return sentence


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_MODALS = _words(
    "can can't cannot could couldn't will won't would wouldn't should shouldn't might must may "
    "shall did didn't was wasn't used 'd"
)
_ADVERBS = _words(
    "really also just usually always never still actually mostly often sometimes only now "
    "absolutely totally definitely generally finally recently already currently honestly "
    "seriously literally even rarely no longer kinda mainly strongly particularly especially "
    "personally truly slightly genuinely typically normally"
)
_IRREGULAR_PAST = _words(
    "was were had got went made took saw bought sold left found came became began broke brought "
    "built chose did drove ate fell felt flew forgot gave grew heard held kept knew lost met paid "
    "put quit ran read said sent shut sang sat slept spent stood swam taught told thought threw "
    "understood woke won wore wrote meant caught fought sought dealt lent learnt rode spoke stole "
    "hid led fed fled drank forgave lay laid hung stuck struck dug spun shone bit lit"
)
_COMMON_VERBS = _words(
    "like love prefer enjoy hate work live play use have own speak study teach run drive cook eat "
    "drink need want go take make do know read write watch listen travel commute visit train"
)
"""Verbs that, after "and" in a sentence about the user, continue the user's predicate."""
_SPECIAL_VERBS = {
    "am": "is",
    "have": "has",
    "do": "does",
    "don't": "doesn't",
    "haven't": "hasn't",
    "aren't": "isn't",
    "am not": "is not",
    "go": "goes",
}
_PRONOUNS_START = {
    "i": "User",
    "i'm": "User is",
    "i've": "User has",
    "i'd": "User would",
    "i'll": "User will",
    "my": "User's",
    "me": "User",
    "mine": "User's",
    "myself": "User",
    "we": "User and their family",
    "we're": "User and their family are",
    "we've": "User and their family have",
    "our": "User's",
    "us": "User and their family",
}
_PRONOUNS_MID = {
    "i": "the user",
    "i'm": "the user is",
    "i've": "the user has",
    "i'd": "the user would",
    "i'll": "the user will",
    "my": "their",
    "me": "the user",
    "mine": "the user's",
    "myself": "themselves",
    "we": "they",
    "we're": "they are",
    "we've": "they have",
    "our": "their",
    "ours": "theirs",
    "us": "them",
    "ourselves": "themselves",
}
_TRAILING_FILLER = re.compile(r"[\s,]+(?:btw|lol|haha|tbh|though)$", re.IGNORECASE)
_WORD = re.compile(r"^(?P<lead>[^A-Za-z']*)(?P<core>[A-Za-z']+)(?P<trail>[^A-Za-z']*)$")


def conjugate(verb: str) -> str:
    """The third-person singular of a present-tense verb; past forms and modals are unchanged."""
    low = verb.lower()
    if low in _SPECIAL_VERBS:
        return _match_case(_SPECIAL_VERBS[low], verb)
    past = low.endswith("ed") and not low.endswith("eed")
    if low in _MODALS or low in _IRREGULAR_PAST or past or low.endswith("n't"):
        return verb
    if re.search(r"(?:s|sh|ch|x|z|o)$", low):
        return verb + "es"
    if re.search(r"[^aeiou]y$", low):
        return verb[:-1] + "ies"
    return verb + "s"


def _match_case(word: str, like: str) -> str:
    return word.upper() if like.isupper() and len(like) > 1 else word


def to_third_person(sentence: str) -> str:
    """Rewrite a first-person sentence about the user as a third-person memory.

    "I prefer dark mode" -> "User prefers dark mode"; "my sister Maya lives in Lisbon" ->
    "User's sister Maya lives in Lisbon"; mid-sentence "I"/"me"/"my" become "the user"/"their".
    The verb after "I" (skipping adverbs such as "really") takes the third-person form, and so
    does a common verb joined by "and" ("I live in Oslo and work ..." -> "... and works ...").
    "My wife and I live" keeps "live": "and I" among the first words is a plural subject.
    """
    text = strip_fillers(sentence.replace("\u2019", "'").strip()).rstrip(" .!;,")
    text = _TRAILING_FILLER.sub("", text)
    out: list[str] = []
    pending = False  # the next verb belongs to a singular first-person subject
    user_clause = False  # the current clause's subject is the user alone
    for word in text.split():
        match = _WORD.match(word)
        if match is None or (match.group("core") == "US"):
            out.append(word)
            continue
        lead, core, trail = match.group("lead", "core", "trail")
        low = core.lower()
        joined = bool(out) and out[-1].lower() in ("and", "or", "but")
        table = _PRONOUNS_MID if out else _PRONOUNS_START
        if low in table:
            out.append(lead + table[low] + trail)
            plural = joined and len(out) <= 5
            pending = low == "i" and not plural
            user_clause = low in ("i'm", "i've") or (user_clause and not plural)
            continue
        if pending and low in _ADVERBS:
            out.append(word)
            continue
        if pending or (user_clause and joined and low in _COMMON_VERBS):
            core = conjugate(core)
            pending, user_clause = False, True
        out.append(lead + core + trail)
        if trail[:1] in (";", ":"):
            user_clause = False
    result = " ".join(out)
    return result[:1].upper() + result[1:]
