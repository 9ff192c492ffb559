"""One scripted "model" that answers this project's manager, LangMem and Mem0, each in its format.

Not a test module. Its policy is the same for all three: every first-person clause of the
user's turns becomes a third-person fact ("I'm vegan" -> "User is vegan"); a fact that starts
with the same two words as a memory it was shown replaces that memory, any other is new. So a
matrix over the three systems on this model compares the systems' plumbing (what each shows the
model, what it can do with the answer), not model quality. A subprocess reaches it through
``HARNESS_SCRIPTED_RESPONDER=peer_model:reply`` with this folder on ``PYTHONPATH``.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from harness.models.scripted import ScriptedRequest

_FIRST_PERSON = re.compile(r"^(?:i|i'm|i am|my)\b", re.IGNORECASE)
_HARNESS_MEMORY = re.compile(r"^\[(?P<key>[^\]]+)\] \w+ (?P<content>\{.*\})$", re.M)
_HARNESS_TURN = re.compile(r"^\[(?P<id>[^\]]+)\] (?:[^:\n]*\()?user\)?: (?P<text>.*)$", re.M)
_LANGMEM_MEMORY = re.compile(
    r"<instance id=(?P<key>\S+) schema_type=\"\w+\">\n(?P<content>\{.*?\})\n"
)
_LANGMEM_TURN = re.compile(
    r"=+ Human Message =+\n\n(?P<text>.*?)(?=\n\n=+ \w+ Message =+|\n</session)", re.S
)


def facts(user_texts: list[str]) -> list[str]:
    """Third-person facts of the first-person clauses ("I live in Lille" -> "User lives in
    Lille"); questions are skipped."""
    out = []
    for text in user_texts:
        for clause in re.split(r"(?<=[.!])\s+|[,;:]\s+|\s+and\s+", text.strip()):
            clause = clause.strip().rstrip(".!")
            if "?" in clause or len(clause.split()) < 3 or not _FIRST_PERSON.match(clause):
                continue
            out.append(_third_person(clause))
    return out


def _third_person(clause: str) -> str:
    text = re.sub(r"(?i)^(i'm|i am)\b", "User is", clause)
    text = re.sub(r"(?i)^my\b", "User's", text)
    verb = re.match(r"(?i)^i (\w+)", text)
    if verb:
        word = verb[1].lower()
        third = {"have": "has", "do": "does", "go": "goes"}.get(word)
        if third is None:
            third = word + ("es" if word.endswith(("s", "sh", "ch", "x")) else "s")
        text = f"User {third}{text[verb.end() :]}"
    return text


def plan(user_texts: list[str], shown: dict[str, str]) -> list[tuple[str | None, str]]:
    """``(key of the memory to replace or None, fact)`` for each fact."""
    decided = []
    for fact in facts(user_texts):
        prefix = " ".join(fact.split()[:2]).lower()
        key = next((k for k, text in shown.items() if text.lower().startswith(prefix)), None)
        decided.append((key, fact))
    return decided


def reply(request: ScriptedRequest) -> dict[str, Any]:
    if "PatchDoc" in request.tool_names or "Memory" in request.tool_names:
        return _langmem(request)
    if request.params.get("response_format") == {"type": "json_object"}:
        return _mem0(request)
    return _harness(request)


def _harness(request: ScriptedRequest) -> dict[str, Any]:
    prompt = request.last_user_text
    shown = {
        m["key"]: json.loads(m["content"]).get("content", "")
        for m in _HARNESS_MEMORY.finditer(prompt)
    }
    said = [m["text"] for m in _HARNESS_TURN.finditer(prompt)]
    calls = []
    for key, fact in plan(said, shown):
        if key is None:
            calls.append({"name": "insert_memory", "arguments": {"content": fact}})
        else:
            calls.append({"name": "update_memory", "arguments": {"id": key, "content": fact}})
    return {"tool_calls": calls} if calls else {"text": "Nothing new."}


def _langmem(request: ScriptedRequest) -> dict[str, Any]:
    system = request.messages[0]["content"]
    shown = {
        m["key"]: ast.literal_eval(m["content"]).get("content", "")
        for m in _LANGMEM_MEMORY.finditer(system)
    }
    said = [m["text"] for m in _LANGMEM_TURN.finditer(request.last_user_text)]
    calls = []
    for key, fact in plan(said, shown):
        if key is None or "PatchDoc" not in request.tool_names:
            calls.append({"name": "Memory", "arguments": {"content": fact}})
        else:
            patch = [{"op": "replace", "path": "/content", "value": fact}]
            arguments = {"json_doc_id": key, "planned_edits": "replace", "patches": patch}
            calls.append({"name": "PatchDoc", "arguments": arguments})
    return {"tool_calls": calls} if calls else {"text": "Nothing new."}


def _mem0(request: ScriptedRequest) -> dict[str, Any]:
    prompt = request.messages[-1]["content"]
    new = prompt.split("## New Messages", 1)[1].split("\n## ", 1)[0]
    said = [line[len("user: ") :] for line in new.splitlines() if line.startswith("user: ")]
    memories = [
        {"id": str(i), "text": fact, "attributed_to": "user"}
        for i, (_, fact) in enumerate(plan(said, {}))
    ]
    return {"text": json.dumps({"memory": memories})}
