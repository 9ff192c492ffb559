"""The key-term rule of the case format, in one place.

A ``require`` item is a term or a list of alternative terms; each item must occur in the content,
case-insensitively and on word boundaries ("dark" matches "Dark mode", not "darkness"). A ``forbid``
term must not occur. The loader uses this to check that every gold content passes its own key
terms (else even a perfect prediction would fail); scorers use it to judge predictions.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from harness.data.models import KeyTerm


@functools.lru_cache(maxsize=4096)
def _pattern(term: str) -> re.Pattern[str]:
    words = r"\s+".join(re.escape(part) for part in term.split())
    return re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE)


def term_occurs(term: str, text: str) -> bool:
    """Whether ``term`` occurs in ``text`` on word boundaries, ignoring case and spacing runs."""
    return bool(term.strip()) and _pattern(term.strip()).search(text) is not None


def missing_terms(require: Sequence[KeyTerm], text: str) -> list[KeyTerm]:
    """The ``require`` items none of whose alternatives occur in ``text``."""
    missing = []
    for item in require:
        options = [item] if isinstance(item, str) else item
        if not any(term_occurs(option, text) for option in options):
            missing.append(item)
    return missing


def present_forbidden(forbid: Sequence[str], text: str) -> list[str]:
    """The ``forbid`` terms that occur in ``text``."""
    return [term for term in forbid if term_occurs(term, text)]
