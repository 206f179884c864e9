"""Bots of an operator: add, health, pause, rotate, remove, scoping."""

from __future__ import annotations

import pytest

from chalicelib.bots import ALLOWED_UPDATES
from chalicelib.dashboard_api.schemas import BotListQuery
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.store.records import EventQuery
from tests.unit.dashboard_api.conftest import OPERATOR_A, OPERATOR_B, ApiWorld

TOKEN = "5550001:" + "T" * 35


def audit_types(world: ApiWorld, bot_id: int) -> list[str]:
    return [e.type for e in world.stores.events.query(EventQuery(bot_id=bot_id)).items]


def test_adding_a_bot_points_its_webhook_with_every_update_kind(world: ApiWorld) -> None:
    world.telegram.bots[TOKEN] = {"id": 5550001, "is_bot": True, "username": "b", "first_name": "B"}

    out = world.api.bots.add(world.api.scope(OPERATOR_A), TOKEN)

    hook = world.telegram.webhooks[5550001]
    assert (out.bot_id, out.status) == (5550001, "active")
    assert hook["allowed_updates"] == ALLOWED_UPDATES
    assert "drop_pending_updates" not in hook
    assert audit_types(world, 5550001) == ["bot_added"]


def test_a_token_telegram_rejects_is_invalid_input_naming_the_token(world: ApiWorld) -> None:
    with pytest.raises(InvalidInput, match="Telegram rejected this token") as caught:
        world.api.bots.add(world.api.scope(OPERATOR_A), TOKEN)
    assert caught.value.details["field"] == "token"


def test_bot_detail_reports_webhook_health(world: ApiWorld) -> None:
    world.bot(11)
    world.telegram.webhooks[11] = {"url": "https://elsewhere/", "allowed_updates": ["message"]}

    health = world.api.bots.get(world.api.scope(OPERATOR_A), 11).webhook

    assert health.reachable and health.url_matches is False
    assert health.allowed_updates_complete is False
    assert "chat_member" in health.missing_updates
    assert (health.pending_update_count, health.last_error_message) == (3, "Connection refused")


def test_another_operators_bot_is_not_found(world: ApiWorld) -> None:
    world.bot(11, owner=OPERATOR_A)

    with pytest.raises(NotFound):
        world.api.bots.get(world.api.scope(OPERATOR_B), 11)
    assert world.api.bots.list(world.api.scope(OPERATOR_B), BotListQuery()).items == []


def test_pausing_twice_records_one_audit_event(world: ApiWorld) -> None:
    world.bot(11)
    scope = world.api.scope(OPERATOR_A)

    world.api.bots.set_paused(scope, 11, paused=True)
    out = world.api.bots.set_paused(scope, 11, paused=True)

    assert out.status == "paused"
    assert audit_types(world, 11) == ["bot_paused"]


def test_rotating_the_secret_tells_telegram_the_stored_secret(world: ApiWorld) -> None:
    world.bot(11)

    world.api.bots.rotate_secret(world.api.scope(OPERATOR_A), 11)

    stored = world.keyring.decrypt(world.stores.bots.get(11).webhook_secret_ciphertext)
    assert stored != "old-secret"
    assert world.telegram.webhooks[11]["secret_token"] == stored


def test_removing_a_bot_deletes_its_webhook_and_keeps_its_history(world: ApiWorld) -> None:
    world.bot(11)
    world.group(11, -100123)
    world.telegram.webhooks[11] = {"url": "x"}
    scope = world.api.scope(OPERATOR_A)

    out = world.api.bots.remove(scope, 11)

    assert out.status == "removed" and 11 not in world.telegram.webhooks
    assert world.stores.groups.find(11, -100123) is not None
    assert world.api.bots.list(scope, BotListQuery()).items == []
    assert [
        b.bot_id for b in world.api.bots.list(scope, BotListQuery(include_removed=True)).items
    ] == [11]


def test_bot_lists_page_with_cursors(world: ApiWorld) -> None:
    for bot_id in (11, 12, 13):
        world.bot(bot_id)
    scope = world.api.scope(OPERATOR_A)

    first = world.api.bots.list(scope, BotListQuery(limit=2))
    second = world.api.bots.list(scope, BotListQuery(limit=2, cursor=first.next_cursor))

    assert [b.bot_id for b in first.items] == [11, 12]
    assert ([b.bot_id for b in second.items], second.next_cursor) == ([13], None)
