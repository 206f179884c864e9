"""DynamoDB Local stopped while Telegram keeps delivering: 5xx, then redelivery after the
restart succeeds, with nothing lost and nothing done twice."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.config import Settings
from chalicelib.store.schema import bind, ensure_tables
from tests.conftest import ROOT
from tests.reliability.conftest import all_events, make_harness, mutes_of
from tests.support.harness import Harness

pytestmark = pytest.mark.integration


@pytest.fixture
def own_dynamodb(tmp_path: Path) -> Iterator[object]:
    from infra.local.dynamodb import DynamoDBLocal, ensure_jar
    from infra.local.ports import free_port

    jar_dir = ensure_jar(ROOT / ".local" / "cache" / "dynamodb")
    ddb = DynamoDBLocal(jar_dir, port=free_port("127.0.0.1"), data_dir=tmp_path / "ddb")
    ddb.start()
    try:
        yield ddb
    finally:
        ddb.stop()


def _failed_since(h: Harness, seen: int) -> list[dict[str, object]]:
    return [d for d in h.sandbox.deliveries(h.bot_id)[seen:] if d["status"] == "failed"]


def test_an_outage_gives_5xx_and_the_redelivery_after_restart_loses_and_doubles_nothing(
    own_dynamodb: object,
) -> None:
    ddb = own_dynamodb
    settings = Settings(
        stage="test",
        table_prefix=f"out{secrets.token_hex(3)}",
        dynamodb_endpoint=ddb.endpoint,  # type: ignore[attr-defined]
        token_keys="k1:" + "A" * 43,
        session_secret="s",
    )
    ensure_tables(settings)
    # Retries spread over ~60 s: enough for a JVM restart.
    h = make_harness(bind(settings), settings, retry_delays=(0.5, 1, 2, 4, 8, 16, 30))
    try:
        # Given a protected group and one joiner handled normally
        h.protect()
        first = h.user("Before")
        h.sandbox.join(h.group, first)
        # When DynamoDB stops and three more people join (two non-members, one subscriber)
        h.sandbox.wait_idle(10)
        seen = len(h.sandbox.deliveries(h.bot_id))
        ddb.stop()  # type: ignore[attr-defined]
        during = [h.user("Non1"), h.user("Non2"), h.user("Sub")]
        h.subscribe(during[2])
        for user in during:
            h.sandbox.join(h.group, user, wait=False)
        deadline = time.monotonic() + 30
        while not _failed_since(h, seen) and time.monotonic() < deadline:
            time.sleep(0.2)
        failed = _failed_since(h, seen)
        # ... and comes back with its data
        ddb.start()  # type: ignore[attr-defined]
        h.sandbox.wait_idle(120)
    finally:
        h.close()
        h.sandbox.close()
    # Then the webhook answered 5xx while it was down
    assert failed, "Telegram saw a failure while DynamoDB was down"
    errors = {d.get("error", "") for d in h.sandbox.deliveries(h.bot_id) if d["status"] == "failed"}
    assert all(("503" in e) or ("timeout" in e.lower()) for e in errors), errors
    assert not [d for d in h.sandbox.deliveries(h.bot_id) if d["status"] == "gave_up"]
    # ... and after the restart every update was handled exactly once
    for user in (first, during[0], during[1]):
        assert not h.can_write(user)
        assert len(mutes_of(h, user)) == 1, user
        assert len(h.notices_for(user)) == 1, user
        assert [e.type for e in all_events(h, user_id=user)] == ["join_muted"], user
    assert h.can_write(during[2]) and mutes_of(h, during[2]) == []
    assert [e.type for e in all_events(h, user_id=during[2])] == ["join_verified"]
