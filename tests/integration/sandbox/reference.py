"""Checks a Bot API object against the 10.1 reference (required fields, no unknown fields).

`bot_api_10_1_types.json` is trimmed from /work/shared/telegram-bot-api-10.1.json: for each
type only its fields' names, types and required flags, and its subtypes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TYPES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "bot_api_10_1_types.json").read_text(encoding="utf-8")
)["types"]

_PRIMITIVES = {
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "String": lambda v: isinstance(v, str),
    "Boolean": lambda v: isinstance(v, bool),
    "True": lambda v: v is True,
}


def problems(value: Any, type_name: str, path: str = "$") -> list[str]:
    """Every way `value` differs from the reference's `type_name` (empty when it conforms)."""
    spec = TYPES[type_name]
    if "subtypes" in spec:
        found = [problems(value, sub, path) for sub in spec["subtypes"]]
        return [] if any(not f for f in found) else min(found, key=len)
    if not isinstance(value, dict):
        return [f"{path}: expected a {type_name} object, got {value!r}"]
    fields = {f["name"]: f for f in spec["fields"]}
    out = [f"{path}.{name}: not a field of {type_name}" for name in value if name not in fields]
    for name, field in fields.items():
        if name in value:
            out += _check(value[name], field["types"], f"{path}.{name}")
        elif field["required"]:
            out.append(f"{path}.{name}: required by {type_name} but missing")
    return out


def _check(value: Any, types: list[str], path: str) -> list[str]:
    attempts = [_check_one(value, t, path) for t in types]
    return [] if any(not a for a in attempts) else attempts[0]


def _check_one(value: Any, type_name: str, path: str) -> list[str]:
    if type_name.startswith("Array of "):
        if not isinstance(value, list):
            return [f"{path}: expected an array, got {value!r}"]
        inner = type_name.removeprefix("Array of ")
        return [p for i, item in enumerate(value) for p in _check_one(item, inner, f"{path}[{i}]")]
    if type_name in _PRIMITIVES:
        return [] if _PRIMITIVES[type_name](value) else [f"{path}: expected {type_name}"]
    return problems(value, type_name, path)
