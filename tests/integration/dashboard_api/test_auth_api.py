"""Sign-in over HTTP: widget, magic link, sessions, logout, rate limits, tickets."""

from __future__ import annotations

import json
import time

import pytest

from chalicelib import container
from chalicelib.auth.widget import sign_widget
from tests.integration.dashboard_api.conftest import Api

pytestmark = pytest.mark.integration


def register_login_bot(api: Api) -> None:
    """The deployer adds the login bot like any other bot (here: owned by operator A)."""
    container.bot_registry().register(api.login_bot["token"], api.operator_a)


def widget(api: Api, user_id: int) -> dict[str, object]:
    payload: dict[str, object] = {
        "id": user_id,
        "first_name": "Olga",
        "auth_date": int(time.time()),
    }
    payload["hash"] = sign_widget(payload, api.login_bot["token"])
    return payload


def test_widget_sign_in_accepts_a_signed_payload_once(api: Api) -> None:
    register_login_bot(api)
    payload = widget(api, api.operator_a)

    first, session = api.json("POST", "/api/auth/widget", body=payload)
    replay, error = api.json("POST", "/api/auth/widget", body=payload)

    assert first == 200 and session["operator_id"] == api.operator_a
    assert (replay, error["error"]["code"]) == (401, "unauthorized")
    status, me = api.json("GET", "/api/me", token=session["token"])
    assert (status, me["operator_id"]) == (200, api.operator_a)


def test_a_forged_or_stale_widget_payload_is_unauthorized(api: Api) -> None:
    register_login_bot(api)
    forged = {**widget(api, api.operator_a), "id": api.operator_b}
    stale = widget(api, api.operator_a)
    stale["auth_date"] = int(time.time()) - 3600
    stale["hash"] = sign_widget(
        {k: v for k, v in stale.items() if k != "hash"}, api.login_bot["token"]
    )

    assert api.json("POST", "/api/auth/widget", body=forged)[0] == 401
    status, body = api.json("POST", "/api/auth/widget", body=stale)
    assert (status, body["error"]["message"]) == (
        401,
        "the Telegram sign-in has expired; sign in again",
    )


def test_magic_link_session_works_until_logout(api: Api) -> None:
    token = api.sign_in(api.operator_a)

    assert api.json("GET", "/api/me", token=token)[0] == 200
    assert api.call("POST", "/api/auth/logout", token=token).status_code == 204
    status, body = api.json("GET", "/api/me", token=token)
    assert (status, body["error"]["message"]) == (401, "the session was signed out")


def test_a_magic_code_cannot_be_used_twice(api: Api) -> None:
    link = container.auth().magic_link_for(api.operator_a) or ""
    code = link.split("#login=")[1]

    assert api.json("POST", "/api/auth/magic", body={"code": code})[0] == 200
    assert api.json("POST", "/api/auth/magic", body={"code": code})[0] == 401


def test_a_session_token_in_the_query_string_is_ignored(api: Api) -> None:
    token = api.session(api.operator_a)

    status, body = api.json("GET", f"/api/me?token={token}")

    assert status == 401 and "Bearer" in body["error"]["message"]


def test_too_many_sign_in_attempts_for_one_user_get_429_with_retry_after(api: Api) -> None:
    register_login_bot(api)
    forged = {**widget(api, api.operator_b), "hash": "0" * 64}

    responses = [api.call("POST", "/api/auth/widget", body=forged) for _ in range(6)]

    assert [r.status_code for r in responses] == [401] * 5 + [429]
    assert 1 <= int(responses[5].headers["Retry-After"]) <= 60
    assert json.loads(responses[5].body)["error"]["code"] == "rate_limited"


def test_a_websocket_ticket_is_issued_to_a_signed_in_operator(api: Api) -> None:
    token = api.session(api.operator_a)

    status, body = api.json("POST", "/api/live/ticket", token=token)

    assert status == 200 and body["expires_in"] == 60
    assert (
        container.live().connect("conn-1", {"ticket": body["ticket"]}).operator_id == api.operator_a
    )
    assert api.json("POST", "/api/live/ticket")[0] == 401
