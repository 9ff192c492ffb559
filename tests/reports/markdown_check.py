"""Parse the Markdown the harness writes with a real Markdown parser (markdown-it-py, GFM tables).

A table whose delimiter row has another number of cells than its header is not a table to a
Markdown parser: it shows as a paragraph of pipes. A body row with more cells than the header
loses the extra ones. :func:`tables` fails the test on both.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")


def _raw_cells(line: str) -> int:
    return len(_CELL_SEPARATOR.split(line.strip().strip("|")))


def tables(text: str) -> list[list[list[str]]]:
    """Every table of ``text`` as rows of cell texts (the header first), checked for shape."""
    lines = text.splitlines()
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    found: list[list[list[str]]] = []
    covered: set[int] = set()
    for i, token in enumerate(tokens):
        if token.type != "table_open":
            continue
        start, end = token.map
        covered.update(range(start, end))
        width = _raw_cells(lines[start])
        for number in range(start, end):
            assert _raw_cells(lines[number]) == width, f"line {number + 1}: {lines[number]!r}"
        rows: list[list[str]] = []
        for inner in tokens[i + 1 :]:
            if inner.type == "table_close":
                break
            if inner.type == "tr_open":
                rows.append([])
            elif inner.type == "inline":
                rows[-1].append(inner.content)
        found.append(rows)
    stray = [n + 1 for n, line in enumerate(lines) if line.startswith("|") and n not in covered]
    assert not stray, f"lines {stray} look like table rows but no table holds them"
    return found
