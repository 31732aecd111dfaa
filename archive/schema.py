"""The record's JSON Schema (shipped as archive/record.schema.json) and a cached validator."""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

SCHEMA_VERSION = 1
SCHEMA_FILE = "record.schema.json"


def schema_text() -> str:
    """The schema file exactly as shipped."""
    return resources.files("archive").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


@functools.cache
def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded


def load_schema() -> dict[str, Any]:
    """A fresh copy of the record schema (schema version 1)."""
    return copy.deepcopy(_schema())


@functools.cache
def validator() -> Draft202012Validator:
    """A compiled validator for the record schema (formats are annotations, not assertions)."""
    from jsonschema import Draft202012Validator  # imported on first use: it is slow to import

    schema = _schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validate(record: Any) -> list[str]:
    """Every way ``record`` breaks the schema, as 'path: message' strings; [] when valid."""
    errors = sorted(validator().iter_errors(record), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(record)'}: {e.message}" for e in errors]
