"""docs/datasets.md: the commands and the loader on the bundled core.jsonl."""

from __future__ import annotations

import json

from doc_examples import Example, Scripted


def cli_check(ns: dict, ctx: Scripted) -> None:
    validate, stats, stats_json = ns["outputs"]
    assert validate.startswith("OK") and "213 cases, sha256 b484162c" in validate
    assert "insert 291, update 66, delete 28" in stats
    data = json.loads(stats_json)
    assert data["cases"] == 213 and data["ops"] == {"insert": 291, "update": 66, "delete": 28}


def load_check(ns: dict, ctx: Scripted) -> None:
    dataset, dev, updates = ns["dataset"], ns["dev"], ns["updates"]
    assert 0 < len(dev) < len(dataset) and {dataset.split_of(case) for case in dev} == {"dev"}
    assert 0 < len(updates) <= 20 and {dataset.split_of(case) for case in updates} == {"test"}
    assert all("update" in case.tags for case in updates)


EXAMPLES = {
    "datasets-cli": Example(check=cli_check),
    "datasets-load": Example(check=load_check),
}
