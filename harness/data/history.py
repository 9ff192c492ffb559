"""History phrasing: whether a forbidden term is stated as past or negated, not as current.

A correct update is often written with its old value in it: "User moved from Lyon to Lille",
"lives in Lille, not Lyon", "no longer drinks coffee", "switched from morning to evening runs".
A ``forbid`` term there does not assert the stale value, so the key-term check should not fail
the memory; "User moved from Lille to Lyon" or "User lives in Lyon" still assert it.

The decision is made per occurrence of the term, inside its clause (the text between
punctuation and contrast words such as "but", "now", "and"):

- a **leading cue** ("no longer", "not", "used to", "previously", "formerly", "instead of",
  "stopped", and their Spanish, German, French, Japanese and Chinese equivalents) ends at most
  three words before the term;
- a **source cue** ("from", "left", "quit", "replaced", "von", "从", ...) works the same way,
  except that a destination word ("to", "for", "with", "nach", "到", ...) between cue and term
  cancels it ("from Lille to Lyon" and "left Lille for Lyon" assert Lyon);
- a **trailing cue** ("previously", "anymore", "から", "ではなく", "以前", ...) starts at most two
  words after the term.

A time adverb opening the clause ("Previously the user lived in Lyon", "Früher ...") governs
all of it, a clause that is only a cue ("Previously, ...") the clause after it, and a cue opening
a parenthesis everything inside it ("(previously: Portland, Oregon)"). In Japanese and Chinese,
which have no spaces, two characters count as one word. All text is expected in the comparison
form of :func:`harness.data._text.normalise`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from harness.data._text import normalise

__all__ = ["HISTORY_CUES", "Cues", "clause_bounds", "stated_as_history"]

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff66-\uff9f"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_WORD = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+(?:'[^\W{_CJK}]+)?")


@dataclass(frozen=True)
class Cues:
    """The cue phrases of one language (a phrase may contain spaces).

    ``opening`` holds time adverbs that govern their whole clause when they open it
    ("Previously the user lived in Lyon", "Früher fuhr er mit dem Auto"); ``comparative`` words
    ("over") act as leading cues only after a ``preference`` word in the same clause ("prefers
    email over phone calls", but not "talks over the phone").
    """

    leading: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    trailing: tuple[str, ...] = ()
    destination: tuple[str, ...] = ()
    contrast: tuple[str, ...] = ()
    opening: tuple[str, ...] = ()
    comparative: tuple[str, ...] = ()
    preference: tuple[str, ...] = ()


HISTORY_CUES: dict[str, Cues] = {
    "en": Cues(
        leading=(
            "no longer",
            "not",
            "never",
            "no more",
            "previously",
            "formerly",
            "former",
            "ex",
            "non",
            "used to",
            "instead of",
            "rather than",
            "stopped",
            "gave up",
            "give up",
            "originally",
            "earlier",
            "once",
            "don't",
            "doesn't",
            "didn't",
            "isn't",
            "aren't",
            "wasn't",
            "weren't",
            "won't",
            "can't",
            "cannot",
            "hasn't",
            "haven't",
            "no",
            "avoid",
            "avoids",
            "avoiding",
            "dislike",
            "dislikes",
            "hate",
            "hates",
            "without",
        ),
        source=("from", "away from", "left", "quit", "replaced", "dropped", "swapped"),
        trailing=("previously", "formerly", "anymore", "any more", "no longer", "in the past"),
        destination=("to", "into", "for", "with", "by"),
        contrast=("but", "now", "and", "currently", "today", "these days"),
        opening=("previously", "formerly", "originally", "earlier", "in the past"),
        comparative=("over", "more than"),
        preference=(
            "prefer",
            "prefers",
            "preferred",
            "preferring",
            "rather",
            "likes",
            "like",
            "favours",
            "favors",
            "enjoys",
            "chooses",
            "choose",
            "picks",
        ),
    ),
    "es": Cues(
        leading=(
            "ya no",
            "no",
            "nunca",
            "antes",
            "anteriormente",
            "solía",
            "solia",
            "en lugar de",
            "en vez de",
            "antiguo",
            "antigua",
            "ex",
            "dejó de",
            "dejo de",
            "ha dejado de",
        ),
        source=(
            "desde",
            "se mudó de",
            "mudó de",
            "se mudo de",
            "cambió de",
            "cambió del",
            "pasó de",
            "pasó del",
            "se fue de",
            "dejó",
            "ha dejado",
        ),
        trailing=("antes", "anteriormente", "ya no"),
        destination=("a", "al", "hacia", "por"),
        contrast=("pero", "ahora", "y", "sino", "actualmente", "hoy"),
        opening=("antes", "anteriormente", "antiguamente", "en el pasado"),
    ),
    "de": Cues(
        leading=(
            "nicht mehr",
            "nicht",
            "kein",
            "keine",
            "keinen",
            "keinem",
            "nie",
            "früher",
            "vorher",
            "ehemals",
            "ehemalige",
            "ehemaliger",
            "ehemaligen",
            "ehemaliges",
            "statt",
            "anstatt",
            "anstelle von",
            "anstelle",
            "aufgehört mit",
            "ex",
        ),
        source=("von", "weg von", "aus", "verlassen"),
        trailing=("früher", "vorher", "nicht mehr"),
        destination=("nach", "zu", "zum", "zur", "in", "gegen", "durch"),
        contrast=("aber", "sondern", "jetzt", "nun", "und", "inzwischen", "heute", "mittlerweile"),
        opening=("früher", "vorher", "ehemals", "damals", "zuvor"),
    ),
    "fr": Cues(
        leading=(
            "ne plus",
            "pas",
            "jamais",
            "auparavant",
            "autrefois",
            "anciennement",
            "ancien",
            "ancienne",
            "ex",
            "au lieu de",
            "au lieu du",
            "à la place de",
            "à la place du",
            "a arrêté",
            "arrêté de",
            "non",
        ),
        source=(
            "déménagé de",
            "déménagé d'",
            "passé de",
            "passé du",
            "parti de",
            "a quitté",
            "quitté",
            "remplacé",
        ),
        trailing=("auparavant", "autrefois"),
        destination=("à", "a", "au", "aux", "en", "vers", "pour", "par"),
        contrast=("mais", "maintenant", "et", "désormais", "actuellement", "aujourd'hui"),
        opening=("auparavant", "autrefois", "anciennement", "jadis"),
    ),
    "ja": Cues(
        leading=("以前は", "以前", "前は", "元の", "元", "かつて", "昔は", "昔", "旧"),
        trailing=(
            "から",
            "ではなく",
            "じゃなく",
            "ではない",
            "じゃない",
            "の代わりに",
            "をやめ",
            "はやめ",
            "やめ",
            "ない",
            "ません",
            "なくなった",
            "以前",
        ),
        contrast=("でも", "今は", "今", "現在", "しかし"),
        opening=("以前は", "以前", "かつて", "昔は", "前は"),
    ),
    "zh": Cues(
        leading=(
            "不再",
            "不是",
            "而不是",
            "不",
            "没有",
            "没",
            "以前",
            "之前",
            "曾经",
            "原来",
            "从前",
            "过去",
            "前任",
            "戒了",
            "放弃了",
        ),
        source=("从", "代替", "取代"),
        trailing=("以前", "之前", "过去"),
        destination=("到", "至", "去", "为", "成"),
        contrast=("但是", "但", "现在", "而是", "目前", "如今"),
        opening=("以前", "之前", "曾经", "原来", "过去", "从前"),
    ),
}
"""Cue phrases per language; :func:`stated_as_history` uses all of them together."""

_MAX_GAP_LEAD = 3.0
_MAX_GAP_TRAIL = 2.0
_PUNCT = re.compile(r"[.;:!?,()\[\]\"。，、；！？：（）「」]")


def _phrase(phrase: str) -> str:
    """A regex for a cue phrase: word-bounded unless its edge is CJK or an apostrophe; French
    ``ne plus`` allows the verb in between ("n'habite plus")."""
    if phrase == "ne plus":
        return r"(?<!\w)n(?:e\s+|')\w+\s+plus(?!\w)"
    words = [re.escape(word) for word in phrase.split()]
    body = r"\s+".join(words)
    left = "" if _CJK_CHAR.match(phrase[0]) else r"(?<!\w)"
    right = "" if _CJK_CHAR.match(phrase[-1]) or phrase.endswith("'") else r"(?!\w)"
    return left + body + right


def _alternation(phrases: set[str]) -> re.Pattern[str]:
    ordered = sorted({normalise(p) for p in phrases}, key=len, reverse=True)
    return re.compile("|".join(_phrase(p) for p in ordered))


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    kinds = (
        "leading",
        "source",
        "trailing",
        "destination",
        "contrast",
        "opening",
        "comparative",
        "preference",
    )
    merged: dict[str, set[str]] = {kind: set() for kind in kinds}
    for cues in HISTORY_CUES.values():
        for kind in kinds:
            merged[kind].update(getattr(cues, kind))
    return {kind: _alternation(phrases) for kind, phrases in merged.items()}


def _cue_only(text: str) -> bool:
    """Whether a clause is nothing but a cue ("Previously", "Früher", "以前は")."""
    stripped = text.strip()
    patterns = _patterns()
    return bool(stripped) and any(
        patterns[kind].fullmatch(stripped) is not None for kind in ("leading", "trailing")
    )


def clause_bounds(text: str, start: int, end: int) -> tuple[int, int, bool]:
    """The clause of ``text`` holding ``text[start:end]``: between the nearest punctuation or
    contrast word on each side, and whether a clause before it is only a cue ("Previously,
    ..."), which then governs the whole clause."""
    patterns = _patterns()
    cuts = [m.span() for m in _PUNCT.finditer(text)]
    cuts += [m.span() for m in patterns["contrast"].finditer(text)]
    before = [cut for cut in cuts if cut[1] <= start]
    right = min((s for s, _ in cuts if s >= end), default=len(text))
    if not before:
        return 0, right, False
    cut = max(before, key=lambda span: span[1])
    earlier = max((e for _, e in cuts if e <= cut[0]), default=0)
    return cut[1], right, _cue_only(text[earlier : cut[0]])


def _gap(text: str) -> float:
    """The length of a gap in words; a CJK character counts as half a word."""
    total = 0.0
    for match in _WORD.finditer(text):
        total += 0.5 if _CJK_CHAR.match(match.group()) else 1.0
    return total


def _led(clause: str, term_start: int) -> bool:
    patterns = _patterns()
    for kind in ("leading", "source", "comparative"):
        for cue in patterns[kind].finditer(clause, 0, term_start):
            if cue.end() > term_start:
                continue
            gap = clause[cue.end() : term_start]
            if _gap(gap) > _MAX_GAP_LEAD:
                continue
            if kind == "source" and patterns["destination"].search(gap):
                continue
            if kind == "comparative" and not patterns["preference"].search(clause, 0, cue.start()):
                continue
            return True
    return False


def _trailed(clause: str, term_end: int) -> bool:
    for cue in _patterns()["trailing"].finditer(clause, term_end):
        if _gap(clause[term_end : cue.start()]) <= _MAX_GAP_TRAIL:
            return True
    return False


def _in_cued_parenthesis(text: str, start: int) -> bool:
    """Whether ``start`` lies in a parenthesis opened by a cue: "(previously: Portland, Oregon)"."""
    opened = max(text.rfind("(", 0, start), text.rfind("（", 0, start))
    if opened < 0 or ")" in text[opened:start] or "）" in text[opened:start]:
        return False
    inside = text[opened + 1 : start].lstrip()
    patterns = _patterns()
    return any(patterns[kind].match(inside) for kind in ("opening", "leading", "trailing"))


def stated_as_history(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` (an occurrence of a forbidden term in normalised text) is
    stated as past or negated rather than as current."""
    if _in_cued_parenthesis(text, start):
        return True
    left, right, cued = clause_bounds(text, start, end)
    clause = text[left:right]
    opened = _patterns()["opening"].match(clause.lstrip())
    return bool(cued or opened) or _led(clause, start - left) or _trailed(clause, end - left)
