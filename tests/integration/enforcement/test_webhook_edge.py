"""The webhook edge: who may call it, what it accepts, and how it answers failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.config import Settings
from chalicelib.crypto import Keyring
from chalicelib.enforcement.button import JoinedButton
from chalicelib.enforcement.commands import Commands
from chalicelib.enforcement.context import EventRecorder
from chalicelib.enforcement.router import UpdateRouter
from chalicelib.store.bundle import dynamo_stores
from chalicelib.store.schema import Tables, bind
from chalicelib.telegram.once import MemoryRunOnce
from chalicelib.telegram.webhook import WebhookHandler
from infra.local.sandbox import Sandbox
from tests.support.harness import Harness
from tests.support.logs import captured_logs

pytestmark = pytest.mark.integration
FIXTURES = sorted((Path(__file__).parents[2] / "fixtures" / "updates").glob("*.json"))


def _secret(h: Harness) -> str:
    return h.keyring.decrypt(h.bot_record.webhook_secret_ciphertext)


def _post(h: Harness, body: bytes | None, *, secret: str | None = None, bot: str = "") -> tuple:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    result = h.handler.handle(bot or str(h.bot_id), headers, body)
    return result.status, result.body


def _update(update_id: int, text: str = "hi", user: int = 100000099) -> bytes:
    return json.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": 1,
                "date": 1764450000,
                "chat": {"id": -1001000000001, "type": "supergroup", "title": "Fans"},
                "from": {"id": user, "is_bot": False, "first_name": "Zed"},
                "text": text,
            },
        }
    ).encode()


@pytest.mark.parametrize(
    ("bot", "secret"),
    [("", None), ("", "wrong"), ("", ""), ("999999999", "x"), ("abc", "x"), ("1" * 30, "x")],
)
def test_unknown_bot_or_wrong_secret_gets_the_same_403_and_touches_nothing(
    h: Harness, bot: str, secret: str | None
) -> None:
    before = len(h.calls())
    status, body = _post(h, _update(5), secret=secret, bot=bot)
    assert (status, body) == (403, {"error": "forbidden"})
    assert len(h.calls()) == before
    assert h.events() == []


@pytest.mark.parametrize(
    "body",
    [
        None,
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"no_update_id": 1}',
        b'{"update_id": "7"}',
        b'{"update_id": true}',
        b"{" * 10000,
    ],
)
def test_a_body_that_is_not_an_update_is_a_400(h: Harness, body: bytes | None) -> None:
    status, _ = _post(h, body, secret=_secret(h))
    assert status == 400


def test_a_body_over_one_megabyte_is_a_400(h: Harness) -> None:
    status, body = _post(h, b" " * (1024 * 1024 + 1), secret=_secret(h))
    assert status == 400 and "1 MB" in body["error"]


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_no_realistic_update_produces_a_5xx(h: Harness, fixture: Path) -> None:
    h.protect()
    status, body = _post(h, fixture.read_bytes(), secret=_secret(h))
    assert status == 200, body
    assert not str(body.get("outcome", "")).startswith("failed:crash")


def test_a_redelivered_update_never_acts_twice(h: Harness) -> None:
    # Given a protected group and a non-member's message delivered once
    h.protect()
    body = _update(77, user=h.user("Bob", in_group=True))
    first = _post(h, body, secret=_secret(h))
    calls_after_first = len(h.calls())
    # When Telegram delivers the same update again
    second = _post(h, body, secret=_secret(h))
    # Then the second delivery gets the same answer and makes no Telegram call
    assert first == second and first[0] == 200
    assert len(h.calls()) == calls_after_first
    assert len(h.events("message_blocked")) == 1


def test_telegram_5xx_gives_a_503_and_the_redelivery_succeeds_without_duplicates(
    h: Harness,
) -> None:
    # Given the mute call fails once with a Telegram server error
    h.protect()
    ann = h.user("Ann")
    h.sandbox.fail_next("restrictChatMember", "500")
    # When Ann joins (the sandbox redelivers after our 503, as Telegram does)
    h.sandbox.join(h.group, ann)
    h.sandbox.wait_idle(10)
    # Then she ends up muted with exactly one notice
    assert not h.can_write(ann)
    assert len(h.notices_for(ann)) == 1
    assert 503 in [r.status for r in h.webhook.results]
    assert len(h.events("join_muted")) == 1


def test_a_short_429_is_waited_out_within_the_request(h: Harness) -> None:
    h.protect()
    ann = h.user("Ann")
    h.sandbox.fail_next("sendMessage", "429", retry_after=1)
    h.sandbox.join(h.group, ann)
    assert len(h.notices_for(ann)) == 1
    assert 503 not in [r.status for r in h.webhook.results]


def test_a_long_429_on_a_mute_defers_the_update_to_telegrams_retry(h: Harness) -> None:
    h.protect()
    bob = h.user("Bob", in_group=True)
    h.sandbox.fail_next("restrictChatMember", "429", retry_after=3600)
    status, _ = _post(h, _update(91, user=bob), secret=_secret(h))
    assert status == 503
    assert h.events("message_blocked") == []  # nothing recorded for a half-done update


def test_a_429_on_the_membership_check_is_unknown_and_never_mutes(h: Harness) -> None:
    h.protect()
    bob = h.user("Bob", in_group=True)
    h.sandbox.fail_next("getChatMember", "429", retry_after=3600)
    status, body = _post(h, _update(92, user=bob), secret=_secret(h))
    assert (status, body["outcome"]) == (200, "unknown:allow")
    assert h.can_write(bob)


def test_dynamodb_unreachable_gives_a_503(h: Harness) -> None:
    # Given a webhook whose DynamoDB endpoint does not answer
    dead = Settings(table_prefix="dead", dynamodb_endpoint="http://127.0.0.1:9")
    stores = dynamo_stores(bind(dead))
    recorder = EventRecorder(stores.events, retention_days=1)
    handler = WebhookHandler(
        stores.bots,
        Keyring.from_spec(Keyring.new_key_spec("x")),
        UpdateRouter(
            h.gate,
            Commands(stores, h.gate, h.actions, recorder),
            recorder,
            h.lifecycle,
            JoinedButton(stores, h.gate, h.checker, h.actions),
        ),
        MemoryRunOnce(),
        http=h.http,
        api_url=h.server.url,
    )
    # When Telegram delivers
    result = handler.handle(str(h.bot_id), {"X-Telegram-Bot-Api-Secret-Token": "x"}, _update(3))
    # Then Telegram is asked to retry
    assert result.status == 503


def test_no_token_or_secret_reaches_the_logs(h: Harness) -> None:
    # Given every logger (ours in JSON, httpx, botocore, ...) recorded at DEBUG
    with captured_logs() as stream:
        # When a full scenario runs, including a Telegram timeout
        h.protect()
        ann = h.user("Ann")
        h.sandbox.join(h.group, ann)
        h.sandbox.fail_next("getChatMember", "timeout")
        h.say(h.user("Bob", in_group=True), "hello")
        h.sandbox.join(h.channel, ann)
    logs = stream.getvalue()
    # Then the decisions were logged, and neither the token nor the webhook secret was
    token = h.bot["token"]
    assert '"message":"decision"' in logs.replace(" ", "")
    assert token not in logs and token.split(":")[1] not in logs
    assert _secret(h) not in logs


class _CountingOnce:
    """A RunOnce that remembers which updates needed a run-once record."""

    def __init__(self) -> None:
        self.inner = MemoryRunOnce()
        self.keys: list[str] = []

    def run(self, key: str, work, lambda_context=None) -> dict:  # type: ignore[no-untyped-def]
        self.keys.append(key)
        return self.inner.run(key, work, lambda_context)


@pytest.fixture
def counted(tables: Tables, ddb_settings: Settings) -> Iterator[tuple[Harness, _CountingOnce]]:
    once = _CountingOnce()
    harness = Harness(
        sandbox=Sandbox(retry_delays=(0.05, 0.1)),
        stores=dynamo_stores(tables),
        settings=ddb_settings,
        keyring=Keyring.from_spec(Keyring.new_key_spec("t1")),
        once=once,
    )
    try:
        yield harness, once
    finally:
        harness.close()


def test_a_verified_members_messages_need_no_run_once_record(
    counted: tuple[Harness, _CountingOnce],
) -> None:
    # Given a webhook that counts run-once records, and a subscribed member
    h, once = counted
    h.protect()
    ann = h.user("Ann", in_group=True)
    h.subscribe(ann)
    # When she writes three messages
    for text in ("a", "b", "c"):
        h.say(ann, text)
    # Then only the first (the one that checked her) was handled under a run-once record
    outcomes = [r.body.get("outcome") for r in h.webhook.results[-3:]]
    assert outcomes == ["allowed", "allowed:cached", "allowed:cached"]
    assert len(once.keys) == 2  # /protect and Ann's first message


def test_a_command_from_a_verified_member_is_still_handled(h: Harness) -> None:
    h.protect()
    ann = h.user("Ann", in_group=True)
    h.subscribe(ann)
    h.say(ann, "hello")
    h.say(ann, "/help")
    assert "/protect" in h.last_bot_text()
