"""Namespace tuples: validation, the on-disk string form, prefix matching and listing.

A namespace is stored as its labels each followed by the unit-separator character, e.g.
``("memories", "u1")`` -> ``"memories\\x1fu1\\x1f"``. With the separator after every label, a
prefix test on the string is exactly a prefix test on the tuple: ``("memories",)`` matches
``("memories", "u1")`` but not ``("memoriesX",)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from harness.errors import StoreError

SEP = "\x1f"
"""Unit separator: the one character a namespace label or key may not contain."""

Namespace = tuple[str, ...]


def check_namespace(namespace: Sequence[str], *, allow_empty: bool = False) -> Namespace:
    """Return ``namespace`` as a tuple, or raise StoreError naming the bad label."""
    if isinstance(namespace, str):
        raise StoreError(f"namespace must be a tuple of strings, not the string {namespace!r}")
    labels = tuple(namespace)
    if not labels and not allow_empty:
        raise StoreError("namespace must have at least one label")
    for position, label in enumerate(labels):
        if not isinstance(label, str):
            raise StoreError(
                f"namespace {labels!r}: label #{position} is {type(label).__name__}, expected str"
            )
        if not label:
            raise StoreError(f"namespace {labels!r}: label #{position} is empty")
        if SEP in label:
            raise StoreError(
                f"namespace {labels!r}: label {label!r} contains the reserved separator \\x1f"
            )
    return labels


def check_key(key: str) -> str:
    if not isinstance(key, str) or not key:
        raise StoreError(f"key must be a non-empty string, got {key!r}")
    if SEP in key:
        raise StoreError(f"key {key!r} contains the reserved separator \\x1f")
    return key


def to_path(namespace: Namespace) -> str:
    """The stored string form; ``()`` becomes ``""`` (the prefix of everything)."""
    return "".join(label + SEP for label in namespace)


def from_path(path: str) -> Namespace:
    return tuple(path.split(SEP)[:-1])


def has_prefix(namespace: Namespace, prefix: Namespace) -> bool:
    return namespace[: len(prefix)] == prefix


def select_namespaces(
    namespaces: Iterable[Namespace],
    *,
    prefix: Sequence[str] | None = None,
    suffix: Sequence[str] | None = None,
    max_depth: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Namespace]:
    """Filter, truncate to ``max_depth``, de-duplicate, sort and page a set of namespaces."""
    prefix_t = check_namespace(prefix or (), allow_empty=True)
    suffix_t = check_namespace(suffix or (), allow_empty=True)
    if max_depth is not None and max_depth < 1:
        raise StoreError(f"max_depth must be >= 1, got {max_depth}")
    check_page(limit, offset)
    chosen: set[Namespace] = set()
    for namespace in namespaces:
        if not has_prefix(namespace, prefix_t):
            continue
        if suffix_t and namespace[-len(suffix_t) :] != suffix_t:
            continue
        chosen.add(namespace[:max_depth] if max_depth is not None else namespace)
    return sorted(chosen)[offset : offset + limit]


def check_page(limit: int, offset: int) -> None:
    if not isinstance(limit, int) or limit < 0:
        raise StoreError(f"limit must be a non-negative integer, got {limit!r}")
    if not isinstance(offset, int) or offset < 0:
        raise StoreError(f"offset must be a non-negative integer, got {offset!r}")
