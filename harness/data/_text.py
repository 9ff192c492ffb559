"""The comparison form of a text, shared by key-term checks and history cues."""

from __future__ import annotations

import unicodedata

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def normalise(text: str) -> str:
    """The comparison form of a text: NFKC, case-folded, straight apostrophes."""
    return unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()
