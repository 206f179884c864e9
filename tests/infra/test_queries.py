"""Every saved Logs Insights query only uses fields our logs actually carry."""

from __future__ import annotations

import ast
import re

import pytest

from infra.aws.naming import ROOT
from infra.aws.queries import INSIGHTS_FIELDS, QUERIES

#: Keys powertools' Logger writes on every line.
POWERTOOLS_KEYS = {
    "level", "location", "message", "timestamp", "service", "sampling_rate", "xray_trace_id",
    "cold_start", "function_name", "function_memory_size", "function_arn", "function_request_id",
    "exception", "exception_name", "stack_trace",
}  # fmt: skip
_KEYWORDS = {
    "fields", "filter", "stats", "sort", "limit", "by", "as", "and", "or", "not", "like", "in",
    "asc", "desc", "count", "ispresent", "display", "parse",
}  # fmt: skip


def _logged_keys() -> set[str]:
    """Keys passed to the logger anywhere in the code Lambda runs (``extra=``/``append_keys``)."""
    keys: set[str] = set()
    for path in [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            if node.func.attr == "append_keys":
                keys.update(k.arg for k in node.keywords if k.arg)
            for kw in node.keywords:
                if kw.arg == "extra" and isinstance(kw.value, ast.Dict):
                    keys.update(k.value for k in kw.value.keys if isinstance(k, ast.Constant))
    return keys


def _decision_messages() -> set[str]:
    messages: set[str] = set()
    for path in sorted((ROOT / "chalicelib").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "logger"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                messages.add(str(node.args[0].value))
    return messages


def _referenced_fields(query: str) -> set[str]:
    body = "\n".join(line for line in query.splitlines() if not line.lstrip().startswith("#"))
    body = re.sub(r'"[^"]*"|/[^/]*/', " ", body)  # strings and regexes
    words = set(re.findall(r"@?[A-Za-z_][A-Za-z0-9_]*", body))
    aliases = set(re.findall(r"\bas\s+([A-Za-z_][A-Za-z0-9_]*)", body))
    return {w for w in words if w not in _KEYWORDS and w not in aliases}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_field_a_saved_query_uses_is_one_our_logger_emits(name: str) -> None:
    known = _logged_keys() | POWERTOOLS_KEYS | INSIGHTS_FIELDS
    unknown = _referenced_fields(QUERIES[name]) - known
    assert not unknown, f"{name} uses fields no log line has: {sorted(unknown)}"


def test_the_decision_line_the_queries_filter_on_exists() -> None:
    assert any('message = "decision"' in q for q in QUERIES.values())
    assert "decision" in _decision_messages()


def test_the_decision_line_carries_the_audit_keys() -> None:
    assert {"event_type", "reason", "bot_id", "chat_id", "user_id", "actor_id", "channels"} <= (
        _logged_keys()
    )


def test_placeholder_ids_are_explained_in_each_query_that_has_one() -> None:
    for name, query in QUERIES.items():
        if re.search(r"_id = 0\b", query):
            assert "replace 0" in query.lower(), name
