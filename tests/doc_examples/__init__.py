"""Scripted model replies and checks for the python examples of the docs, one module per page.

Each module defines ``EXAMPLES: dict[str, Example]`` keyed by the name in the page's marker
``<!-- example: NAME -->`` (the line before the code fence). ``tests/test_doc_examples.py``
finds every module here, runs each marked block with its model strings replaced by a scripted
model, and applies the checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.models.scripted import ScriptedModel, scripted_model


class Scripted:
    """The scripted models one example run uses.

    Every model string in the example's blocks maps to :attr:`model`, unless the example's
    ``models`` maps that string to a suffix; then it gets a model of its own (``ctx[suffix]``).
    """

    def __init__(self, name: str, cwd: Path | None = None):
        self.name = name
        self.cwd = cwd or Path.cwd()  # the example's working folder
        self.model: ScriptedModel = scripted_model(name).reset()
        self._others: dict[str, ScriptedModel] = {}

    def __getitem__(self, suffix: str) -> ScriptedModel:
        if suffix not in self._others:
            self._others[suffix] = scripted_model(f"{self.name}-{suffix}").reset()
        return self._others[suffix]

    def model_string(self, literal: str, models: Mapping[str, str]) -> str:
        suffix = models.get(literal)
        return (self.model if suffix is None else self[suffix]).model


@dataclass(frozen=True)
class Example:
    """How to run one marked block of a page.

    ``script`` queues the replies the block needs before it runs; ``check`` asserts on the
    variables the block left behind (``ns``) and the requests the models saw; ``after`` names
    blocks that must run first, in the same namespace (an example building on an earlier one).
    """

    script: Callable[[Scripted], None] = lambda ctx: None
    check: Callable[[dict[str, Any], Scripted], None] = lambda ns, ctx: None
    after: tuple[str, ...] = ()
    models: Mapping[str, str] = field(default_factory=dict)


_SEEDED: dict[str, Path] = {}


def seed_results(cwd: Path) -> Path:
    """Put a results database at ``cwd/reports/harness.duckdb`` holding two finished runs on the
    first eight bundled cases: ``main-run`` (baseline/heuristic) and ``candidate-run``
    (baseline/oracle). Built once per test process, then copied."""
    import atexit
    import shutil
    import tempfile

    if "db" not in _SEEDED:
        from harness.runner import RunConfig, run_dataset

        folder = Path(tempfile.mkdtemp(prefix="docs-results-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        dataset = str(Path(__file__).resolve().parents[2] / "datasets" / "core.jsonl")
        db = folder / "harness.duckdb"
        for name, model in (
            ("main-run", "baseline/heuristic"),
            ("candidate-run", "baseline/oracle"),
        ):
            config = RunConfig(dataset=dataset, model=model, name=name, limit=8, n_resamples=200)
            run_dataset(config, db=db)
        _SEEDED["db"] = db
    target = cwd / "reports" / "harness.duckdb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_SEEDED["db"], target)
    return target
