"""The HTTP edge: hostile bodies, the one error shape, CORS."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.dashboard_api import edge
from chalicelib.dashboard_api.schemas import BotAdd, SettingsUpdate
from chalicelib.errors import InvalidInput, RateLimited, StoreUnavailable, Unauthorized
from chalicelib.telegram.errors import TelegramBadRequest


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "send a JSON object"),
        (b"", "send a JSON object"),
        (b"{", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[1]", "must be a JSON object"),
        (b'{"token": NaN}', "not valid JSON"),
        (b"[" * 10_000 + b"]" * 10_000, "larger than"),
        (b"[" * 5_000 + b"]" * 5_000, "not valid JSON"),
        (b'{"token": 1' + b"0" * 5000 + b"}", "not valid JSON"),
        (b'{"token": "x", "admin": true}', "admin: Extra inputs are not permitted"),
        (b'{"token": 5}', "token: Input should be a valid string"),
    ],
)
def test_hostile_bodies_are_invalid_input(raw: bytes | None, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        edge.parse_body(raw, BotAdd)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_body_parses_or_is_invalid_input(raw: bytes) -> None:
    with contextlib.suppress(InvalidInput):
        edge.parse_body(raw, SettingsUpdate)


def test_errors_share_one_shape_and_hide_internal_details() -> None:
    internal = edge.error_response(StoreUnavailable("query events: DynamoDB failed (x)"))
    boom = edge.error_response(edge.Internal("internal error"))
    telegram = edge.error_response(TelegramBadRequest("setWebhook", 400, "bad webhook"))

    assert internal.status_code == 503 and set(internal.body) == {"error"}
    assert (boom.status_code, boom.body) == (
        500,
        {"error": {"code": "internal", "message": "internal error"}},
    )
    assert telegram.status_code == 502 and "bad webhook" in telegram.body["error"]["message"]


def test_rate_limits_and_missing_sign_in_carry_their_headers() -> None:
    limited = edge.error_response(RateLimited("slow down", retry_after=12.2))
    unauthorized = edge.error_response(Unauthorized("sign in"))

    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "13")
    assert unauthorized.headers["WWW-Authenticate"].startswith("Bearer")
    json.dumps(limited.body)


def test_cors_answers_only_the_dashboard_origin() -> None:
    ok = edge.cors_headers("https://dash.example.com", "https://dash.example.com")
    other = edge.cors_headers("https://dash.example.com", "https://evil.example.com")

    assert ok["Access-Control-Allow-Origin"] == "https://dash.example.com"
    assert other == {}
