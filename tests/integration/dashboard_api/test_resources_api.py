"""Bots, groups, events, overview over HTTP, scoped per operator; hostile input; CORS."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest

from chalicelib import container
from chalicelib.store.records import EventRecord, GroupRecord
from tests.integration.dashboard_api.conftest import ORIGIN, Api, new_bot

pytestmark = pytest.mark.integration


def add_bot(api: Api, token: str) -> dict[str, object]:
    status, body = api.json("POST", "/api/bots", token=token, body={"token": new_bot_token(api)})
    assert status == 201, body
    return body


def new_bot_token(api: Api) -> str:
    bot = new_bot(api.sandbox, "shop")
    api.last_bot = bot  # type: ignore[attr-defined]
    return str(bot["token"])


def test_adding_a_bot_sets_its_webhook_and_never_logs_the_token(
    api: Api, capfd: pytest.CaptureFixture[str]
) -> None:
    session = api.session(api.operator_a)
    bot_token = new_bot_token(api)

    status, body = api.json("POST", "/api/bots", token=session, body={"token": bot_token})
    status_get, detail = api.json("GET", f"/api/bots/{body['bot_id']}", token=session)

    assert (status, body["status"]) == (201, "active")
    assert status_get == 200
    assert detail["webhook"]["url_matches"] is True
    assert detail["webhook"]["allowed_updates_complete"] is True
    assert detail["webhook"]["missing_updates"] == []
    out, err = capfd.readouterr()
    assert bot_token not in out + err
    assert bot_token.split(":")[1] not in json.dumps(detail)


def test_a_bad_token_is_a_400_that_says_what_is_wrong(api: Api) -> None:
    session = api.session(api.operator_a)

    malformed = api.json("POST", "/api/bots", token=session, body={"token": "nope"})
    unknown = api.json("POST", "/api/bots", token=session, body={"token": "123456:" + "x" * 35})

    assert (
        malformed[0] == 400 and "does not look like a bot token" in malformed[1]["error"]["message"]
    )
    assert unknown == (
        400,
        {"error": {"code": "invalid_input", "message": "Telegram rejected this token"}},
    )


def test_bot_lifecycle_pause_resume_rotate_remove(api: Api) -> None:
    session = api.session(api.operator_a)
    bot_id = add_bot(api, session)["bot_id"]

    assert api.json("POST", f"/api/bots/{bot_id}/pause", token=session)[1]["status"] == "paused"
    assert api.json("POST", f"/api/bots/{bot_id}/resume", token=session)[1]["status"] == "active"
    before = container.stores().bots.get(int(bot_id)).webhook_secret_ciphertext
    assert api.json("POST", f"/api/bots/{bot_id}/rotate-secret", token=session)[0] == 200
    assert container.stores().bots.get(int(bot_id)).webhook_secret_ciphertext != before
    assert api.json("DELETE", f"/api/bots/{bot_id}", token=session)[1]["status"] == "removed"
    listed = api.json("GET", "/api/bots", token=session)[1]["items"]
    assert bot_id not in [b["bot_id"] for b in listed]
    audit = api.json("GET", f"/api/audit?bot_id={bot_id}&order=oldest", token=session)[1]
    assert [e["type"] for e in audit["items"]] == [
        "bot_added",
        "bot_paused",
        "bot_resumed",
        "webhook_secret_rotated",
        "bot_deregistered",
    ]


def test_another_operator_gets_404_for_a_bot_and_its_group(api: Api) -> None:
    owner = api.session(api.operator_a)
    intruder = api.session(api.operator_b)
    bot_id = int(add_bot(api, owner)["bot_id"])
    container.stores().groups.save(GroupRecord(bot_id=bot_id, chat_id=-100777, title="Private"))

    for method, path in [
        ("GET", f"/api/bots/{bot_id}"),
        ("POST", f"/api/bots/{bot_id}/pause"),
        ("DELETE", f"/api/bots/{bot_id}"),
        ("GET", f"/api/bots/{bot_id}/groups/-100777"),
        ("POST", f"/api/bots/{bot_id}/groups/-100777/disable"),
        ("GET", f"/api/bots/{bot_id}/uptime"),
        ("GET", f"/api/events?bot_id={bot_id}"),
    ]:
        status, body = api.json(method, path, token=intruder)
        assert (status, body["error"]["code"]) == (404, "not_found"), path
    assert api.json("GET", "/api/groups", token=intruder)[1]["items"] == []
    assert api.json("GET", f"/api/bots/{bot_id}/groups/-100777", token=owner)[0] == 200


def test_group_settings_are_validated_and_audited(api: Api) -> None:
    session = api.session(api.operator_a)
    bot_id = int(add_bot(api, session)["bot_id"])
    container.stores().groups.save(GroupRecord(bot_id=bot_id, chat_id=-100555, title="Readers"))
    path = f"/api/bots/{bot_id}/groups/-100555/settings"

    bad = api.json("PATCH", path, token=session, body={"settings": {"notice_ttl": 5}})
    good = api.json("PATCH", path, token=session, body={"settings": {"notice_ttl": 90}})

    assert bad[0] == 400 and bad[1]["error"]["message"].startswith("notice_ttl: ")
    assert good[0] == 200 and good[1]["settings"]["notice_ttl"] == 90
    audit = api.json("GET", f"/api/audit?bot_id={bot_id}&type=settings_changed", token=session)[1]
    assert audit["items"][0]["detail"]["changes"] == {"notice_ttl": {"from": 60, "to": 90}}


def test_a_required_channel_is_checked_against_telegram(api: Api) -> None:
    session = api.session(api.operator_a)
    bot_id = int(add_bot(api, session)["bot_id"])
    channel = api.sandbox.create_chat("channel", "News")
    container.stores().groups.save(GroupRecord(bot_id=bot_id, chat_id=-100556, title="Readers"))
    path = f"/api/bots/{bot_id}/groups/-100556/channels"

    refused = api.json("POST", path, token=session, body={"channel": channel["id"]})
    api.sandbox.add_member(
        channel["id"], bot_id, "administrator", rights={"can_invite_users": True}
    )
    accepted = api.json("POST", path, token=session, body={"channel": channel["id"]})

    assert refused[0] == 400 and "admin" in refused[1]["error"]["message"]
    assert accepted[0] == 200
    assert [c["chat_id"] for c in accepted[1]["required_channels"]] == [channel["id"]]
    assert container.stores().links.groups_for_channel(bot_id, channel["id"]) == [-100556]
    channels = api.json("GET", f"/api/channels?bot_id={bot_id}", token=session)[1]["items"]
    assert [g["chat_id"] for g in channels[0]["groups"]] == [-100556]


def test_events_page_with_cursors_and_export_as_csv(api: Api) -> None:
    session = api.session(api.operator_a)
    bot_id = int(add_bot(api, session)["bot_id"])
    now = time.time()
    for i in range(7):
        container.stores().events.put(
            EventRecord(bot_id=bot_id, type="verified", ts=now - i, chat_id=-1001, user_id=i)
        )

    seen, cursor = [], ""
    while True:
        query = f"/api/events?bot_id={bot_id}&type=verified&limit=3" + (
            f"&cursor={cursor}" if cursor else ""
        )
        page = api.json("GET", query, token=session)[1]
        seen += [e["user_id"] for e in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    export = api.call(
        "GET", f"/api/events/export?bot_id={bot_id}&type=verified&limit=2&pages=2", token=session
    )

    assert seen == list(range(7))
    assert export.status_code == 200 and export.headers["Content-Type"].startswith("text/csv")
    rows = list(
        csv.DictReader(
            io.StringIO(export.body.decode() if isinstance(export.body, bytes) else export.body)
        )
    )
    assert [int(r["user_id"]) for r in rows] == [0, 1, 2, 3]
    assert export.headers["X-Next-Cursor"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[]",
        b'{"token": {"$gt": ""}}',
        b'{"token": "' + b"A" * 20_000 + b'"}',
        b"[" * 3000 + b"]" * 3000,
        b'{"token": "\\ud800"}',
    ],
)
def test_hostile_bodies_get_400_in_the_error_shape(api: Api, raw: bytes) -> None:
    session = api.session(api.operator_a)

    response = api.call(
        "POST", "/api/bots", token=session, raw=raw, headers={"Content-Type": "text/plain"}
    )

    assert response.status_code == 400
    assert set(json.loads(response.body)["error"]) == {"code", "message"}


def test_overview_analytics_and_uptime_answer_for_the_operator(api: Api) -> None:
    session = api.session(api.operator_a)
    bot_id = add_bot(api, session)["bot_id"]

    overview = api.json("GET", "/api/overview", token=session)
    analytics = api.json("GET", "/api/analytics?period=30d", token=session)
    bad_period = api.json("GET", "/api/analytics?period=1y", token=session)
    uptime = api.json("GET", f"/api/bots/{bot_id}/uptime", token=session)

    assert overview[0] == 200 and set(overview[1]) >= {"protected_groups", "uptime_percent"}
    assert analytics[0] == 200 and analytics[1]["period"] == "30d"
    assert bad_period[0] == 400 and bad_period[1]["error"]["message"].startswith("period: ")
    assert uptime[0] == 200 and set(uptime[1]["windows"]) == {"24h", "7d", "30d"}


def test_cors_is_granted_to_the_dashboard_origin_only(api: Api) -> None:
    ours = api.call("OPTIONS", "/api/bots", headers={"Origin": ORIGIN})
    theirs = api.call("OPTIONS", "/api/bots", headers={"Origin": "https://evil.example"})
    answer = api.call("GET", "/api/me", headers={"Origin": "https://evil.example"})

    assert ours.status_code == 204
    assert ours.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Authorization" in ours.headers["Access-Control-Allow-Headers"]
    assert theirs.status_code == 403 and "Access-Control-Allow-Origin" not in theirs.headers
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_the_openapi_document_is_served_without_sign_in(api: Api) -> None:
    status, doc = api.json("GET", "/api/openapi.json")

    assert status == 200 and doc["openapi"].startswith("3.")
    assert "/api/bots/{bot_id}/groups/{chat_id}/settings" in doc["paths"]
