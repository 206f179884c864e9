"""Events explorer: merged pages across bots, cursors, filters, audit, CSV export."""

from __future__ import annotations

import csv
import io

import pytest

from chalicelib.dashboard_api.schemas import EventsQuery, ExportQuery
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.store.records import EventRecord
from tests.unit.dashboard_api.conftest import NOW, OPERATOR_A, OPERATOR_B, ApiWorld


@pytest.fixture
def scene(world: ApiWorld) -> ApiWorld:
    world.bot(11)
    world.bot(12)
    world.bot(99, owner=OPERATOR_B)
    # Interleaved times across two bots, with ties in one millisecond.
    for i in range(12):
        ts = NOW + (i // 3)
        world.stores.events.put(EventRecord(bot_id=11 + i % 2, type="verified", ts=ts, user_id=i))
    world.stores.events.put(EventRecord(bot_id=99, type="verified", ts=NOW, user_id=500))
    return world


def walk(world: ApiWorld, **filters: object) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        page = world.api.events.page(
            world.api.scope(OPERATOR_A), EventsQuery(limit=5, cursor=cursor, **filters)
        )
        seen.extend(e.user_id or 0 for e in page.items)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def test_pages_across_bots_visit_every_event_once_in_order(scene: ApiWorld) -> None:
    newest = walk(scene)
    oldest = walk(scene, order="oldest")

    assert sorted(newest) == list(range(12))
    assert [u // 3 for u in newest] == sorted((u // 3 for u in newest), reverse=True)
    assert sorted(oldest) == list(range(12))
    assert [u // 3 for u in oldest] == sorted(u // 3 for u in oldest)


def test_filters_narrow_to_one_bot_and_time_range(scene: ApiWorld) -> None:
    assert sorted(walk(scene, bot_id=12, since=NOW + 1, until=NOW + 2)) == [3, 5, 7]


def test_another_operators_bot_filter_is_not_found(scene: ApiWorld) -> None:
    with pytest.raises(NotFound):
        scene.api.events.page(scene.api.scope(OPERATOR_A), EventsQuery(bot_id=99))


@pytest.mark.parametrize("cursor", ["%%%", "bm9wZQ", "MTIzNDU2Nzg5MDEyMyNnZ2c"])
def test_a_forged_cursor_is_invalid_input(scene: ApiWorld, cursor: str) -> None:
    with pytest.raises(InvalidInput, match="cursor"):
        scene.api.events.page(scene.api.scope(OPERATOR_A), EventsQuery(cursor=cursor))


def test_the_audit_log_holds_only_admin_actions(scene: ApiWorld) -> None:
    scene.api.bots.set_paused(scene.api.scope(OPERATOR_A), 11, paused=True)

    page = scene.api.events.page(scene.api.scope(OPERATOR_A), EventsQuery(), audit=True)

    assert [(e.type, e.actor_id) for e in page.items] == [("bot_paused", OPERATOR_A)]
    with pytest.raises(InvalidInput, match="not an admin action"):
        scene.api.events.page(scene.api.scope(OPERATOR_A), EventsQuery(type="verified"), audit=True)


def test_csv_export_stops_after_its_pages_and_says_where_to_continue(scene: ApiWorld) -> None:
    scope = scene.api.scope(OPERATOR_A)

    first = scene.api.events.export(scope, ExportQuery(limit=4, pages=2))
    rest = scene.api.events.export(scope, ExportQuery(limit=4, pages=2, cursor=first.next_cursor))

    rows = list(csv.DictReader(io.StringIO(first.body))) + list(
        csv.DictReader(io.StringIO(rest.body))
    )
    assert (first.rows, rest.rows, rest.next_cursor) == (8, 4, None)
    assert sorted(int(r["user_id"]) for r in rows) == list(range(12))


def test_csv_cells_that_look_like_formulas_are_neutralised(world: ApiWorld) -> None:
    world.bot(11)
    world.stores.events.put(
        EventRecord(bot_id=11, type="verified", ts=NOW, chat_id=-100123, reason="=HYPERLINK(1)")
    )

    export = world.api.events.export(world.api.scope(OPERATOR_A), ExportQuery())

    row = next(csv.DictReader(io.StringIO(export.body)))
    assert (row["reason"], row["chat_id"]) == ("'=HYPERLINK(1)", "-100123")
