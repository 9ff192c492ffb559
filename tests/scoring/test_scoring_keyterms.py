"""Key terms: case-insensitive, on token boundaries, alternatives, forbidden terms."""

from __future__ import annotations

import pytest

from harness.data.keyterms import check_key_terms, contains_term


@pytest.mark.parametrize(
    ("text", "term", "found"),
    [
        ("User prefers DARK mode", "dark", True),
        ("User enjoys the darkness", "dark", False),  # not inside a longer word
        ("User likes dark-mode themes", "dark", True),  # hyphens separate words
        ("User likes dark-mode themes", "dark mode", True),  # a space matches a hyphen
        ("User likes darkmode", "dark mode", False),
        ("User moved to  New\tYork", "new york", True),  # any run of spaces
        ("User codes in C++ daily", "C++", True),
        ("User codes in C++11", "C++", False),  # a longer token
        ("User codes in C++", "C", False),  # "C" is not "C++"
        ("User knows C#.", "C#", True),
        ("User runs Python 3.5.", "3.5", True),  # sentence-final dot is not part of it
        ("User runs Python 13.5", "3.5", False),
        ("User runs Python 3.50", "3.5", False),
        ("User runs Python 3.5", "3", False),  # not the head of a decimal
        ("User runs Python 3.5", "5", False),  # nor its tail
        ("User paid 1,000 dollars", "1,000", True),
        ("User paid 1,000 dollars", "1", False),
        ("User pays a $5 fee", "$5", True),
        ("User ranked #1", "#1", True),
        ("User uses ASP.NET", ".net", False),
        ("User visits example.com", "com", False),
        ("User\u2019s dog is Rex", "user's", True),  # curly apostrophe
        ("User's dog is Rex", "user", True),  # possessive
        ("Stra\u00dfe", "strasse", True),  # case folding
        ("\uff21\uff22\uff23 Corp", "abc", True),  # NFKC (full-width letters)
    ],
)
def test_contains_term(text, term, found):
    assert contains_term(text, term) is found


def test_require_item_with_alternatives_needs_any_one():
    check = check_key_terms("User cycles to work", [["bike", "cycles"], "work"])
    assert check.ok
    check = check_key_terms("User walks to work", [["bike", "cycles"], "work"])
    assert not check.ok
    assert check.missing == (("bike", "cycles"),)
    assert check.describe() == "missing one of ('bike', 'cycles')"


def test_forbidden_terms_are_reported():
    check = check_key_terms("User prefers light mode", ["dark"], ["light", "bright"])
    assert (check.ok, check.missing, check.forbidden_found) == (False, ("dark",), ("light",))
    assert check.describe() == "missing 'dark'; forbidden 'light' found"


def test_no_key_terms_is_ok():
    assert check_key_terms("anything", [], []).ok
    assert check_key_terms("", [], []).describe() == "key terms ok"


def test_blank_terms_are_rejected():
    with pytest.raises(ValueError, match="empty"):
        check_key_terms("text", ["  "])
    with pytest.raises(ValueError, match="empty"):
        check_key_terms("text", [[]])
