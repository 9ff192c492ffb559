"""Loading a case file: all of it, validated, or nothing.

Every problem in the file is collected as ``file:line: field.path: reason`` before
:class:`~harness.errors.DatasetError` refuses the file, so one run of ``harness datasets validate``
shows everything to fix.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.data._errors import problems_from
from harness.data._lines import combine_hashes, iter_records, record_hash
from harness.data.models import Case, DatasetHeader, Split
from harness.data.schemas import SchemaRegistry, build_registry
from harness.data.splits import SPLITS, split_of
from harness.data.validate import check_case
from harness.errors import DatasetError


@dataclass(frozen=True)
class Dataset:
    """A validated case file, or a selection of one.

    ``content_hash`` identifies exactly the cases held (see :func:`load_dataset`): a selection has
    its own hash, ``source_hash`` stays the hash of the whole file.
    """

    path: Path
    cases: list[Case] = field(repr=False)
    content_hash: str
    schemas: SchemaRegistry = field(repr=False)
    header: DatasetHeader | None = field(default=None, repr=False)
    case_hashes: dict[str, str] = field(default_factory=dict, repr=False)
    lines: dict[str, int] = field(default_factory=dict, repr=False)
    source_hash: str = field(default="", repr=False)
    selection: dict[str, Any] = field(default_factory=dict)
    header_value: Any = field(default=None, repr=False)

    def __repr__(self) -> str:
        chosen = f", selection={self.selection}" if self.selection else ""
        return f"Dataset('{self.path}', {len(self.cases)} cases, {self.content_hash[:12]}{chosen})"

    @property
    def name(self) -> str:
        return self.path.stem

    def __len__(self) -> int:
        return len(self.cases)

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases)

    def case(self, case_id: str) -> Case:
        for case in self.cases:
            if case.id == case_id:
                return case
        raise KeyError(f"{self.path}: no case with id '{case_id}'")

    def split_of(self, case: Case) -> Split:
        return split_of(case)

    def split(self, name: Split) -> Dataset:
        """The cases of one split (``train``, ``dev`` or ``test``)."""
        return self.select(split=name)

    def split_counts(self) -> dict[str, int]:
        counts = Counter(split_of(case) for case in self.cases)
        return {name: counts.get(name, 0) for name in SPLITS}

    def select(
        self,
        *,
        split: Split | None = None,
        tags: Iterable[str] | None = None,
        exclude_tags: Iterable[str] | None = None,
        ids: Iterable[str] | None = None,
        limit: int | None = None,
    ) -> Dataset:
        """A dataset of the cases that pass every filter, in file order.

        ``tags`` keeps cases carrying any of them, ``exclude_tags`` drops cases carrying any of
        them, ``ids`` keeps the named cases (unknown ids and tags are errors), ``limit`` keeps the
        first n.
        """
        if split is not None and split not in SPLITS:
            raise DatasetError(f"unknown split '{split}' (splits: {', '.join(SPLITS)})")
        wanted_ids = set(ids) if ids is not None else None
        if wanted_ids is not None:
            unknown = sorted(wanted_ids - self.case_hashes.keys())
            if unknown:
                raise DatasetError(f"{self.path}: no case with id {', '.join(unknown)}")
        keep, drop = set(tags or ()), set(exclude_tags or ())
        if keep:  # like an unknown id: a misspelt tag must not select nothing and pass
            known = {tag for case in self.cases for tag in case.tags}
            missing = sorted(keep - known)
            if missing:
                raise DatasetError(
                    f"{self.path}: no case has tag {', '.join(missing)} "
                    f"(tags: {', '.join(sorted(known)) or 'none'})"
                )
        chosen = [
            case
            for case in self.cases
            if (split is None or split_of(case) == split)
            and (not keep or keep.intersection(case.tags))
            and not drop.intersection(case.tags)
            and (wanted_ids is None or case.id in wanted_ids)
        ]
        if limit is not None:
            chosen = chosen[: max(limit, 0)]
        filters = {"split": split, "tags": keep, "exclude_tags": drop, "ids": wanted_ids}
        selection = {**self.selection, **{k: _plain(v) for k, v in filters.items() if v}}
        if limit is not None:
            selection["limit"] = limit
        hashes = {case.id: self.case_hashes[case.id] for case in chosen}
        content_hash = combine_hashes(self.header_value, list(hashes.values()))
        return replace(
            self, cases=chosen, case_hashes=hashes, content_hash=content_hash, selection=selection
        )


def _plain(value: Any) -> Any:
    return sorted(value) if isinstance(value, set) else value


@dataclass
class _Loader:
    path: Path
    problems: list[str] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    header: DatasetHeader | None = None
    header_value: Any = None
    registry: SchemaRegistry | None = None
    seen_records: int = 0

    def report(self, line: int, path: str, reason: str) -> None:
        where = f"{self.path}:{line}:"
        self.problems.append(f"{where} {path}: {reason}" if path else f"{where} {reason}")

    def feed(self, line: int, value: Any) -> None:
        self.seen_records += 1
        if isinstance(value, dict) and "header" in value:
            self._header(line, value)
            return
        if self.registry is None:
            if looks_like_pair(value):
                raise DatasetError(
                    f"{self.path}:{line}: this is a matcher-pair file (a/b/same), not a case file; "
                    "load it with load_pairs"
                )
            self.registry = self._registry()
        self._case(line, value)

    def _header(self, line: int, value: dict[str, Any]) -> None:
        if self.seen_records > 1:
            self.report(line, "header", "a header line must be the first line of the file")
            return
        extra = sorted(set(value) - {"header"})
        if extra:
            self.report(line, extra[0], "unknown field (a header line holds only 'header')")
        try:
            self.header = DatasetHeader.model_validate(value["header"], strict=True)
        except ValidationError as error:
            for path, reason in problems_from(error, DatasetHeader):
                self.report(line, f"header.{path}" if path else "header", reason)
            return
        self.header_value = value["header"]
        self.registry = self._registry(line)

    def _registry(self, header_line: int = 1) -> SchemaRegistry:
        schemas = self.header.schemas if self.header else None
        registry, problems = build_registry(self.path, schemas)
        for path, reason in problems:
            self.report(header_line, path, reason)
        return registry

    def _case(self, line: int, value: Any) -> None:
        case_id = value.get("id") if isinstance(value, dict) else None
        if isinstance(case_id, str):
            first = self.lines.get(case_id)
            if first is not None:
                self.report(line, "id", f"duplicate case id '{case_id}' (first at line {first})")
            else:
                self.lines[case_id] = line
        try:
            case = Case.model_validate(value, strict=True)
        except ValidationError as error:
            for path, reason in problems_from(error, Case):
                self.report(line, path, reason)
            return
        assert self.registry is not None
        for path, reason in check_case(case, self.registry):
            self.report(line, path, reason)
        if not self.problems and case.id not in self.hashes:
            self.cases.append(case)
            self.hashes[case.id] = record_hash(value)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector out of loading, which builds many small acyclic objects.

    With the collector on, its repeated scans of the growing case list made loading about five
    times slower. Pausing alone only defers that work: the first collection after re-enabling
    scans every new object, and later ones scan them again. So the new objects are promoted
    straight to the oldest generation (``freeze`` + ``unfreeze`` moves every tracked object there
    without a scan); they stay collectable and are scanned only by the next full collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def looks_like_pair(value: Any) -> bool:
    """Whether a record is a matcher pair rather than a case (used to tell the two files apart)."""
    if not isinstance(value, dict):
        return False
    return {"a", "b", "same"} <= value.keys() and "sessions" not in value


def load_dataset(path: str | Path) -> Dataset:
    """Read, validate and hash a JSONL case file; raise :class:`DatasetError` listing every problem.

    The content hash is sha256 over the header and the sorted sha256 of each case's canonical JSON
    (keys sorted, no insignificant whitespace), so it ignores formatting, key order, comments,
    blank lines and case order, and changes with any value.
    """
    loader = _Loader(Path(path))
    with _gc_paused():
        for record in iter_records(loader.path):
            if record.error is not None:
                loader.seen_records += 1
                loader.report(record.line, "", record.error)
            else:
                loader.feed(record.line, record.value)
    if loader.problems:
        count = len(loader.problems)
        raise DatasetError(
            f"{loader.path}: {count} problem{'s' if count != 1 else ''}; nothing was loaded",
            loader.problems,
        )
    if not loader.cases:
        raise DatasetError(f"{loader.path}: holds no cases")
    assert loader.registry is not None
    content_hash = combine_hashes(loader.header_value, list(loader.hashes.values()))
    return Dataset(
        path=loader.path,
        cases=loader.cases,
        content_hash=content_hash,
        schemas=loader.registry,
        header=loader.header,
        case_hashes=loader.hashes,
        lines=loader.lines,
        source_hash=content_hash,
        header_value=loader.header_value,
    )
