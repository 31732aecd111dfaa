"""Columnar export of records: Parquet (pyarrow, streamed in batches) or CSV."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa  # imported on first use below: it is slow to import

STRING_FIELDS = [
    "url",
    "canonical_url",
    "site",
    "site_name",
    "title",
    "description",
    "published_at",
    "modified_at",
    "language",
    "section",
    "text",
    "content_hash",
    "crawled_at",
    "spider",
    "run_id",
]
INT_FIELDS = ["schema_version", "word_count", "http_status"]
LIST_FIELDS = ["authors", "organizations", "tags"]
COLUMNS = [
    "schema_version",
    "url",
    "canonical_url",
    "site",
    "site_name",
    "title",
    "description",
    "authors",
    "organizations",
    "published_at",
    "modified_at",
    "language",
    "section",
    "tags",
    "image",
    "text",
    "word_count",
    "content_hash",
    "crawled_at",
    "spider",
    "run_id",
    "http_status",
    "source",
    "extractor",
]
# Objects are struct columns in Parquet and flattened to <field>_<key> columns in CSV (null -> empty cells).
STRUCT_FIELDS = {
    "image": ["url", "caption"],
    "source": ["warc", "offset", "length", "record_id", "digest"],
    "extractor": ["version", "revision"],
}
STRUCT_INTS = {"offset", "length"}
CSV_COLUMNS = [
    c for col in COLUMNS for c in ([f"{col}_{k}" for k in STRUCT_FIELDS[col]] if col in STRUCT_FIELDS else [col])
]
BATCH = 4096
FORMATS = ("parquet", "csv")


def _str(v: Any) -> str | None:
    return v if v is None or isinstance(v, str) else str(v)


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _list(v: Any) -> list[str]:
    return [str(x) for x in v] if isinstance(v, list) else []


def _struct(keys: list[str]) -> Callable[[Any], dict[str, str | int | None] | None]:
    """A converter of an object field to its struct: known keys only, each str (or int for offsets)."""

    def convert(v: Any) -> dict[str, str | int | None] | None:
        if not isinstance(v, dict):
            return None
        return {k: (_int if k in STRUCT_INTS else _str)(v.get(k)) for k in keys}

    return convert


STRUCTS = {field: _struct(keys) for field, keys in STRUCT_FIELDS.items()}


def export(records: Iterable[dict[str, Any]], out: str | os.PathLike[str], fmt: str) -> int:
    """Write ``records`` (schema-v1 fields only) to ``out`` atomically; return how many were written."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use parquet or csv")
    out = Path(out)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        n = _parquet(records, tmp) if fmt == "parquet" else _csv(records, tmp)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return n


def _csv(records: Iterable[dict[str, Any]], path: Path) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        for rec in records:
            row: list[Any] = []
            for col in COLUMNS:
                v = rec.get(col)
                if col in STRUCTS:
                    obj = STRUCTS[col](v) or {}
                    row += [obj.get(k) for k in STRUCT_FIELDS[col]]
                elif col in LIST_FIELDS:
                    row.append("; ".join(_list(v)))
                else:
                    row.append(v)
            w.writerow(row)
            n += 1
    return n


def arrow_schema() -> pa.Schema:
    """The pyarrow schema of the Parquet export."""
    import pyarrow as pa

    types: dict[str, pa.DataType] = {c: pa.string() for c in STRING_FIELDS}
    types |= {c: pa.int64() for c in INT_FIELDS}
    types |= {c: pa.list_(pa.string()) for c in LIST_FIELDS}
    for field, keys in STRUCT_FIELDS.items():
        types[field] = pa.struct([(k, pa.int64() if k in STRUCT_INTS else pa.string()) for k in keys])
    return pa.schema([(c, types[c]) for c in COLUMNS])


def _parquet(records: Iterable[dict[str, Any]], path: Path) -> int:
    import pyarrow.parquet as pq

    schema = arrow_schema()
    convert: dict[str, Callable[[Any], Any]] = {c: _str for c in STRING_FIELDS}
    convert |= {c: _int for c in INT_FIELDS} | {c: _list for c in LIST_FIELDS} | STRUCTS
    n = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        batch: list[dict[str, Any]] = []
        for rec in records:
            batch.append(rec)
            if len(batch) == BATCH:
                writer.write_table(_table(batch, schema, convert))
                n += len(batch)
                batch.clear()
        if batch or not n:
            writer.write_table(_table(batch, schema, convert))
            n += len(batch)
    return n


def _table(batch: list[dict[str, Any]], schema: pa.Schema, convert: dict[str, Callable[[Any], Any]]) -> pa.Table:
    import pyarrow as pa

    cols = {c: [convert[c](r.get(c)) for r in batch] for c in COLUMNS}
    return pa.Table.from_pydict(cols, schema=schema)
