"""Which stored memories the extractor sees before it decides what to change.

The rule (documented in ``docs/library/store-manager.md``): when the namespace holds at most
``query_limit`` usable memories, all of them are shown. Otherwise the store is searched with a few
queries (the latest user messages, or queries a query model writes), the ranked lists are merged
round-robin without duplicates, and any room left up to ``query_limit`` is filled with the most
recently updated memories. So a namespace that holds memories never yields an empty list, unless
retrieval was switched off with ``source="none"``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.memory._prompt import Turn
from harness.memory._writes import Namespace, Stored, read_stored
from harness.memory.store.base import BaseStore, Item, SearchMode
from harness.models.protocol import ChatModel
from harness.models.types import ToolCall, ToolSpec, Usage
from harness.models.usage import call_purpose

logger = logging.getLogger(__name__)

SEARCH_TOOL = "search_memories"


class Retrieval(BaseModel):
    """How a store manager finds the memories related to a conversation.

    ``source``: ``"conversation"`` searches with the text of the latest ``max_queries`` user
    messages, ``"query_model"`` asks the query model for up to ``max_queries`` search queries,
    ``"none"`` shows the extractor no memories at all (it can then only insert). ``mode`` is the
    store's search mode (``"vector"``, ``"fts"`` or ``"hybrid"``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Literal["conversation", "query_model", "none"] = "conversation"
    mode: SearchMode = "vector"
    max_queries: int = Field(default=3, ge=1)


@dataclass(frozen=True, slots=True)
class Retrieved:
    """What retrieval found: the memories (in prompt order), the queries used and their cost."""

    memories: tuple[Stored, ...]
    items: tuple[Item, ...]
    queries: tuple[str, ...] = ()
    usage: Usage | None = None
    empty: bool = False  # the namespace holds no item at all
    skipped: tuple[str, ...] = ()  # items that are not memories of the schemas, and why


def conversation_queries(turns: Sequence[Turn], max_queries: int) -> list[str]:
    """The latest user messages' texts, newest first (any role when no user message has text)."""
    texts = [t.text.strip() for t in reversed(turns) if t.role == "user" and t.text.strip()]
    if not texts:
        texts = [t.text.strip() for t in reversed(turns) if t.text.strip()]
    return list(dict.fromkeys(texts))[:max_queries]


def merge_ranked(
    rankings: Sequence[Sequence[tuple[Stored, Item]]], limit: int, *, top_up: int | None = None
) -> list[tuple[Stored, Item]]:
    """Round-robin over the ranked lists (earlier lists first at each rank), without repeats.

    Lists from index ``top_up`` on are not interleaved: they only fill what room is left.
    """
    split = len(rankings) if top_up is None else top_up
    merged: dict[str, tuple[Stored, Item]] = {}
    interleaved = rankings[:split]
    depth = max((len(r) for r in interleaved), default=0)
    ordered = [r[rank] for rank in range(depth) for r in interleaved if rank < len(r)]
    ordered += [pair for r in rankings[split:] for pair in r]
    for pair in ordered:
        merged.setdefault(pair[0].key, pair)
        if len(merged) == limit:
            break
    return list(merged.values())


def parse_queries(calls: Sequence[ToolCall], max_queries: int) -> list[str]:
    """The queries in the query model's ``search_memories`` calls, deduplicated, in order."""
    queries: list[str] = []
    for call in calls:
        if call.name != SEARCH_TOOL:
            continue
        given = call.arguments.get("queries", call.arguments.get("query"))
        if isinstance(given, str):
            given = [given]
        if isinstance(given, list):
            queries.extend(q.strip() for q in given if isinstance(q, str) and q.strip())
    return list(dict.fromkeys(queries))[:max_queries]


def query_request(turns: Sequence[Turn], max_queries: int) -> tuple[list[dict[str, Any]], ToolSpec]:
    """The messages and the one tool sent to a query model."""
    system = (
        "An assistant keeps long-term memories about its user and is about to update them from "
        "the conversation below. Find the stored memories it may need to change or must not "
        f"repeat: call {SEARCH_TOOL} with up to {max_queries} short search queries, one per "
        "topic the user talks about (a preference, a person, a plan, a fact about them)."
    )
    lines = ["<conversation>", *(f"[{t.id}] {t.role}: {t.text}" for t in turns), "</conversation>"]
    tool = ToolSpec(
        name=SEARCH_TOOL,
        description="Search the user's stored memories.",
        parameters={
            "type": "object",
            "properties": {
                "queries": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": f"At most {max_queries} short queries.",
                }
            },
            "required": ["queries"],
        },
    )
    messages = [
        {"role": "system", "content": system},
        {"role": "user", "content": "\n".join(lines)},
    ]
    return messages, tool


async def retrieve(
    store: BaseStore,
    namespace: Namespace,
    turns: Sequence[Turn],
    *,
    retrieval: Retrieval,
    query_limit: int,
    query_model: ChatModel | None,
    schemas: Mapping[str, type[BaseModel]],
) -> Retrieved:
    """The memories to show the extractor for ``turns`` (see the module docstring)."""
    listed = await store.asearch(namespace, limit=query_limit + 1)
    recent, skipped, deeper = _usable(listed, namespace, schemas)
    complete = len(listed) <= query_limit
    empty = complete and not any(item.namespace == namespace for item in listed)
    if retrieval.source == "none" or (complete and not recent):
        return Retrieved((), (), empty=empty, skipped=tuple(skipped))
    if complete:
        oldest_first = sorted(recent, key=lambda pair: (pair[1].created_at, pair[1].key))
        return _retrieved(oldest_first, (), None, skipped)
    usage: Usage | None = None
    queries: list[str] = []
    if retrieval.source == "query_model" and query_model is not None and turns:
        queries, usage = await _model_queries(query_model, turns, retrieval.max_queries)
    if not queries:
        queries = conversation_queries(turns, retrieval.max_queries)
    per_query = query_limit * 2 if deeper else query_limit
    found = await store.asearch_many(namespace, queries, limit=per_query, mode=retrieval.mode)
    rankings = [_usable(items, namespace, schemas)[0] for items in found]
    chosen = merge_ranked([*rankings, recent], query_limit, top_up=len(rankings))
    return _retrieved(chosen, queries, usage, skipped)


def _retrieved(
    pairs: Sequence[tuple[Stored, Item]],
    queries: Sequence[str],
    usage: Usage | None,
    skipped: Sequence[str],
) -> Retrieved:
    return Retrieved(
        memories=tuple(stored for stored, _ in pairs),
        items=tuple(item for _, item in pairs),
        queries=tuple(queries),
        usage=usage,
        skipped=tuple(skipped),
    )


def _usable(
    items: Sequence[Item], namespace: Namespace, schemas: Mapping[str, type[BaseModel]]
) -> tuple[list[tuple[Stored, Item]], list[str], bool]:
    """Items of exactly ``namespace`` that hold a memory of one of the schemas."""
    usable: list[tuple[Stored, Item]] = []
    skipped: list[str] = []
    deeper = False
    for item in items:
        if item.namespace != namespace:
            deeper = True
            continue
        stored = read_stored(item.key, item.value, schemas)
        if isinstance(stored, str):
            skipped.append(f"{item.key}: {stored}")
            logger.debug("store manager ignores %r/%s: %s", namespace, item.key, stored)
            continue
        usable.append((stored, item))
    return usable, skipped, deeper


async def _model_queries(
    model: ChatModel, turns: Sequence[Turn], max_queries: int
) -> tuple[list[str], Usage]:
    messages, tool = query_request(turns, max_queries)
    with call_purpose("query"):
        response = await model.agenerate(messages, tools=[tool])
    queries = parse_queries(response.tool_calls, max_queries)
    if not queries:
        logger.info("query model %s gave no search queries; using the conversation", model.name)
    return queries, response.usage
