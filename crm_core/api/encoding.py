"""JSON for API responses and errors: UUIDs, datetimes, Decimals, enums, sets,
dataclasses and pydantic models. Pure; no aiohttp."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Sequence
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel, ValidationError

from crm_core.errors import FieldError


def to_jsonable(value: object) -> Any:
    """The `default` hook for json.dumps."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # a string keeps every digit of money
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, frozenset | set):
        return sorted(value, key=str)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: object) -> str:
    return json.dumps(value, default=to_jsonable, ensure_ascii=False)


def error_body(
    error_id: str, message: str, details: Sequence[FieldError] = ()
) -> dict[str, Any]:
    return {
        "error_id": error_id,
        "message": message,
        "details": [{"field": d.field, "message": d.message} for d in details],
    }


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    """One FieldError per pydantic error, located as `phones[1].number`."""
    found = []
    for error in exc.errors(include_url=False):
        path = prefix
        for part in error["loc"]:
            if isinstance(part, int):
                path += f"[{part}]"
            else:
                path += f".{part}" if path else str(part)
        found.append(FieldError(path or "body", error["msg"]))
    return found
