"""The LanceDB table layout of a memory store and conversions between Arrow and version rows.

One row per version of an item; see :mod:`harness.memory.store._versions`. ``row_id`` (namespace
path + key + version) is the merge key. ``kind`` is copied out of the value so that the most
common filter runs inside LanceDB. Non-searchable rows carry a zero vector and ``indexed=false``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC
from typing import Any

import numpy as np
import pyarrow as pa

from harness.memory.store._namespaces import SEP, from_path, to_path
from harness.memory.store._versions import Row

SCHEMA_VERSION = "1"
META_SCHEMA = b"harness.store.schema"
META_EMBEDDER = b"harness.embedder"
META_DIMS = b"harness.dims"
ITEM_COLUMNS = ["ns_path", "key", "value", "created_at", "updated_at"]
VERSION_COLUMNS = [*ITEM_COLUMNS, "version", "deleted"]
_TIMESTAMP = pa.timestamp("us", tz="UTC")


def table_schema(dims: int, embedder: str) -> pa.Schema:
    fields = [
        pa.field("row_id", pa.string(), nullable=False),
        pa.field("ns_path", pa.string(), nullable=False),
        pa.field("key", pa.string(), nullable=False),
        pa.field("version", pa.int64(), nullable=False),
        pa.field("current", pa.bool_(), nullable=False),
        pa.field("deleted", pa.bool_(), nullable=False),
        pa.field("indexed", pa.bool_(), nullable=False),
        pa.field("kind", pa.string()),
        pa.field("value", pa.string(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("vector", pa.list_(pa.float32(), dims)),
        pa.field("created_at", _TIMESTAMP, nullable=False),
        pa.field("updated_at", _TIMESTAMP, nullable=False),
    ]
    metadata = {META_SCHEMA: SCHEMA_VERSION, META_EMBEDDER: embedder, META_DIMS: str(dims)}
    return pa.schema(fields, metadata=metadata)


def row_id(row: Row) -> str:
    return f"{to_path(row.namespace)}{row.key}{SEP}{row.version}"


def rows_to_arrow(rows: Sequence[Row], schema: pa.Schema) -> pa.Table:
    dims = schema.field("vector").type.list_size
    vectors = np.zeros((len(rows), dims), dtype=np.float32)
    for i, row in enumerate(rows):
        if row.vector is not None:
            vectors[i] = row.vector
    columns: dict[str, Any] = {
        "row_id": [row_id(r) for r in rows],
        "ns_path": [to_path(r.namespace) for r in rows],
        "key": [r.key for r in rows],
        "version": [r.version for r in rows],
        "current": [r.current for r in rows],
        "deleted": [r.deleted for r in rows],
        "indexed": [r.indexed for r in rows],
        "kind": [r.kind for r in rows],
        "value": [r.value_json for r in rows],
        "text": [r.text for r in rows],
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), dims),
        "created_at": [r.created_at for r in rows],
        "updated_at": [r.updated_at for r in rows],
    }
    arrays = [pa.array(columns[f.name], type=f.type) if f.name != "vector" else columns["vector"]
              for f in schema]  # fmt: skip
    return pa.Table.from_arrays(arrays, schema=schema)


def rows_from_arrow(table: pa.Table) -> list[Row]:
    """Version rows; ``vector`` is None when the column was not selected or not indexed."""
    out = []
    has_vectors = "vector" in table.column_names
    vectors = table.column("vector").to_pylist() if has_vectors else [None] * table.num_rows
    plain = table.drop_columns(["vector"]) if has_vectors else table
    for record, vector in zip(plain.to_pylist(), vectors, strict=True):
        out.append(
            Row(
                namespace=from_path(record["ns_path"]),
                key=record["key"],
                version=record["version"],
                value_json=record["value"],
                text=record["text"],
                kind=record["kind"],
                vector=None if vector is None else np.asarray(vector, dtype=np.float32),
                deleted=record["deleted"],
                current=record["current"],
                created_at=record["created_at"].astimezone(UTC),
                updated_at=record["updated_at"].astimezone(UTC),
            )
        )
    return out


def records(table: pa.Table) -> list[dict[str, Any]]:
    """Plain dicts with ``namespace`` (tuple) and ``value`` (dict) decoded."""
    out = table.to_pylist()
    for record in out:
        record["namespace"] = from_path(record.pop("ns_path"))
        record["value"] = json.loads(record["value"])
        for name in ("created_at", "updated_at"):
            if name in record:
                record[name] = record[name].astimezone(UTC)
    return out
