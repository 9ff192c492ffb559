"""Build the key-term audit files of ``core.jsonl`` (run from the repository root).

``keyterms_review.jsonl`` is what a blind second reviewer gets: per audited op the session date,
the memory it replaces (for updates), the gold content and candidate memories, with no verdicts
and no key terms. The reviewer answers, per candidate, whether it states the same fact as the
gold content (resolving dates against the session date). ``keyterms_verdicts.jsonl`` holds the
first reviewer's verdicts on the same candidates and what the op's key terms decide, so the
agreement of the two reviewers, and of key terms with each, can be counted.

Candidates are made by rule, so nobody picks easy ones:

- ``restated``: the gold content with "The user" for "User" (same);
- ``history`` (updates): the gold content followed by "(previously: <old memory>)" (same);
- ``stale`` (updates): the old memory itself (different);
- ``reversed`` (contents with a negation or aversion): the content with it removed (different).

    python datasets/audit/build_review.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from harness.data.keyterms import check_key_terms  # noqa: E402
from harness.memory.schemas import memory_text  # noqa: E402

HERE = Path(__file__).resolve().parent
_IRREGULAR = {"have": "has", "do": "does", "go": "goes", "be": "is"}


def _third_person(match: re.Match[str]) -> str:
    verb = match.group(1)
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    return verb + ("es" if verb.endswith(("s", "sh", "ch", "x", "o")) else "s")


_REVERSALS: list[tuple[str, Any]] = [
    (r"\bdoes not\s+(\w+)", _third_person),
    (r"\bdoesn't\s+(\w+)", _third_person),
    (r"\bdo not\s+", ""),
    (r"\bis not\s+", "is "),
    (r"\bisn't\s+", "is "),
    (r"\bnever\s+", "always "),
    (r"\bno longer\s+", ""),
    (r"\bdislikes\b", "likes"),
    (r"\bavoids\b", "seeks out"),
    (r"\bhates\b", "loves"),
    (r"\bcan't stand\b", "loves"),
    (r"\bwithout\b", "with"),
]


def _reverse(text: str) -> str | None:
    for pattern, replacement in _REVERSALS:
        changed, n = re.subn(pattern, replacement, text, count=1, flags=re.IGNORECASE)
        if n:
            return changed
    return None


def _candidates(content: str, old: str | None, kind: str) -> list[tuple[str, str, bool]]:
    found = [("restated", re.sub(r"^User\b", "The user", content), True)]
    if kind == "update" and old is not None:
        found.append(("history", f"{content} (previously: {old})", True))
        found.append(("stale", old, False))
    reversed_text = _reverse(content)
    if reversed_text is not None and reversed_text != content:
        found.append(("reversed", reversed_text, False))
    return found


def _ops(path: Path):
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("//"):
            continue
        case = json.loads(line)
        state = {m["id"]: memory_text(m["content"]) for m in case.get("existing", [])}
        for s, session in enumerate(case["sessions"]):
            for o, op in enumerate(session["expected"]):
                target = op.get("ref") or op.get("id")
                if op["op"] == "delete":
                    state.pop(target, None)
                    continue
                content = memory_text(op["content"])
                yield case["id"], s, o, session.get("date"), op, content, state.get(target)
                state[target] = content


def build(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    review, verdicts = [], []
    for case_id, s, o, date, op, content, old in _ops(path):
        if not op.get("require") and not op.get("forbid"):
            continue
        item = f"{case_id}/s{s}/op{o}"
        candidates = _candidates(content, old, op["op"])
        review.append(
            {
                "item": item,
                "op": op["op"],
                "session_date": date,
                "replaces": old if op["op"] == "update" else None,
                "gold": content,
                "candidates": [
                    {"id": f"c{i}", "text": text} for i, (_, text, _) in enumerate(candidates)
                ],
            }
        )
        for i, (label, text, same) in enumerate(candidates):
            check = check_key_terms(text, op.get("require", []), op.get("forbid", []))
            verdicts.append(
                {
                    "item": item,
                    "candidate": f"c{i}",
                    "kind": label,
                    "same": same,
                    "key_terms_accept": check.ok,
                }
            )
    return review, verdicts


def main() -> None:
    review, verdicts = build(ROOT / "datasets" / "core.jsonl")
    for name, rows in (("keyterms_review.jsonl", review), ("keyterms_verdicts.jsonl", verdicts)):
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        (HERE / name).write_text(text, encoding="utf-8")
    kinds: dict[str, list[int]] = {}
    for row in verdicts:
        agree = row["key_terms_accept"] == row["same"]
        counts = kinds.setdefault(row["kind"], [0, 0])
        counts[0] += agree
        counts[1] += 1
    print(f"{len(review)} ops, {len(verdicts)} candidates")
    for kind, (agree, total) in kinds.items():
        print(f"{kind}: key terms agree with the verdict on {agree} of {total}")


if __name__ == "__main__":
    main()
