"""Key terms: the check that decides whether a predicted memory carries the right value.

Embedding similarity cannot tell "User prefers dark mode" from "User prefers light mode", so gold
ops name the words that must (``require``) and must not (``forbid``) appear. Matching is
case-insensitive and on token boundaries rather than regex ``\\b``, so terms such as ``C++``,
``3.5``, ``C#`` or ``New York`` behave as a reader expects:

- a term never matches inside a longer word or number (``dark`` is not found in ``darkness``,
  ``3.5`` not in ``13.5`` or ``3.50``, ``3`` not in ``3.5``, ``C`` not in ``C++``);
- hyphens separate words (``dark`` is found in ``dark-mode``), and a space inside a term matches
  any run of spaces or hyphens (``dark mode`` is found in ``dark-mode``);
- text and terms are compared after Unicode NFKC normalisation and case folding, with curly
  apostrophes read as straight ones;
- a term edge that is a Japanese, Chinese or Korean character needs no boundary on that side
  (those scripts write words without spaces), so ``リヨン`` is found in ``リヨンからリールへ``.

A ``forbid`` term counts only where the text asserts it as current: an occurrence stated as
past or negated ("moved from Lyon to Lille", "lives in Lille, not Lyon", "no longer eats meat")
is reported in ``KeyTermCheck.history`` and does not fail the check (see
:mod:`harness.data.history`); ``history=False`` restores the plain rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from harness.data._text import normalise
from harness.data.history import stated_as_history

KeyTermItem = str | Sequence[str]
"""A required term, or a sequence of alternatives of which at least one must occur."""

_WORD = re.compile(r"\w")
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff66-\uff9f]")


@dataclass(frozen=True)
class KeyTermCheck:
    """The outcome of checking one text against a gold side's key terms.

    ``missing`` holds the ``require`` items none of whose alternatives occur (a plain term stays a
    string, a list of alternatives becomes a tuple); ``forbidden_found`` the ``forbid`` terms that
    occur as current; ``history`` those that occur only stated as past or negated (not a fault).
    """

    ok: bool
    missing: tuple[str | tuple[str, ...], ...] = ()
    forbidden_found: tuple[str, ...] = ()
    history: tuple[str, ...] = ()

    def describe(self) -> str:
        """A short human-readable account, e.g. ``missing 'dark'; forbidden 'light' found``."""
        note = ""
        if self.history:
            note = "; only as history: " + ", ".join(repr(term) for term in self.history)
        if self.ok:
            return "key terms ok" + note
        parts = []
        if self.missing:
            parts.append("missing " + ", ".join(_show(item) for item in self.missing))
        if self.forbidden_found:
            found = ", ".join(repr(term) for term in self.forbidden_found)
            parts.append(f"forbidden {found} found")
        return "; ".join(parts) + note


KEY_TERMS_OK = KeyTermCheck(ok=True)


@lru_cache(maxsize=4096)
def _pattern(term: str) -> re.Pattern[str]:
    norm = normalise(term).strip()
    if not norm:
        raise ValueError(f"a key term must not be empty or blank: {term!r}")
    body = r"[\s\-]+".join(re.escape(part) for part in norm.split())
    # Left: not inside a word, nor the tail of a dotted token ("5" in "3.5", "com" in "a.com").
    # Right: not followed by a word character, "+"/"#" ("C" in "C++") or ".5" ("3" in "3.5").
    left = r"(?<!\w)(?<!\w[.,])" if _WORD.match(norm[0]) else r"(?<!\w)"
    right = r"(?![\w+#])(?![.,]\w)" if _WORD.match(norm[-1]) else r"(?!\w)"
    if _CJK.match(norm[0]):
        left = ""
    if _CJK.match(norm[-1]):
        right = ""
    return re.compile(left + body + right)


def contains_term(text: str, term: str) -> bool:
    """Whether ``term`` occurs in ``text`` on token boundaries (case-insensitive)."""
    return _pattern(term).search(normalise(text)) is not None


def check_key_terms(
    text: str,
    require: Sequence[KeyTermItem] = (),
    forbid: Sequence[str] = (),
    *,
    history: bool = True,
) -> KeyTermCheck:
    """Check ``text`` against ``require`` (every item must occur; an item that is a list is
    satisfied by any of its alternatives) and ``forbid`` (no term may occur as current; with
    ``history=False`` not at all)."""
    if not require and not forbid:
        return KEY_TERMS_OK
    norm = normalise(text)
    missing: list[str | tuple[str, ...]] = []
    for item in require:
        alternatives = (item,) if isinstance(item, str) else tuple(item)
        if not alternatives:
            raise ValueError("a require item must not be an empty list of alternatives")
        if not any(_pattern(term).search(norm) for term in alternatives):
            missing.append(item if isinstance(item, str) else alternatives)
    found: list[str] = []
    past: list[str] = []
    for term in forbid:
        spans = [m.span() for m in _pattern(term).finditer(norm)]
        if not spans:
            continue
        if history and all(stated_as_history(norm, start, end) for start, end in spans):
            past.append(term)
        else:
            found.append(term)
    return KeyTermCheck(
        ok=not missing and not found,
        missing=tuple(missing),
        forbidden_found=tuple(found),
        history=tuple(past),
    )


def _show(item: str | tuple[str, ...]) -> str:
    if isinstance(item, str):
        return repr(item)
    return "one of (" + ", ".join(repr(term) for term in item) + ")"
