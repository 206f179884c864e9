"""The contract every store implementation keeps: run on memory and on DynamoDB Local."""

from __future__ import annotations

import pytest

from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.store.bundle import Stores
from chalicelib.store.records import (
    AuthRecord,
    BotRecord,
    ChannelRef,
    ConnectionRecord,
    EventQuery,
    EventRecord,
    GroupRecord,
    HeartbeatRecord,
    JobRecord,
    MemberRecord,
)

pytestmark = pytest.mark.integration


def _bot(bot_id: int, owner_id: int = 7) -> BotRecord:
    return BotRecord(
        bot_id=bot_id,
        owner_id=owner_id,
        username=f"bot{bot_id}",
        token_ciphertext="v1.k1.cipher",
        webhook_secret_ciphertext="v1.k1.secret",
        created_at=1.0,
        updated_at=1.0,
    )


def test_created_bot_can_be_read_back_and_listed_by_owner(stores: Stores, bot_id: int) -> None:
    # Given
    owner = bot_id + 1
    stores.bots.create(_bot(bot_id, owner))
    stores.bots.create(_bot(bot_id + 2, owner))
    # When
    bot = stores.bots.get(bot_id)
    listed = stores.bots.list_by_owner(owner)
    # Then
    assert (bot.username, bot.owner_id, bot.status) == (f"bot{bot_id}", owner, "active")
    assert [b.bot_id for b in listed] == [bot_id, bot_id + 2]
    assert {bot_id, bot_id + 2} <= {b.bot_id for b in stores.bots.list_all()}


def test_creating_a_bot_twice_is_a_conflict(stores: Stores, bot_id: int) -> None:
    stores.bots.create(_bot(bot_id))
    with pytest.raises(Conflict):
        stores.bots.create(_bot(bot_id))


def test_missing_bot_is_not_found(stores: Stores, bot_id: int) -> None:
    with pytest.raises(NotFound):
        stores.bots.get(bot_id)


def test_saving_a_stale_bot_is_a_conflict_and_keeps_the_newer_write(
    stores: Stores, bot_id: int
) -> None:
    # Given two readers of the same bot
    stores.bots.create(_bot(bot_id))
    first, second = stores.bots.get(bot_id), stores.bots.get(bot_id)
    first.status = "paused"
    stores.bots.save(first)
    # When the second writes what it read before the first wrote
    second.username = "stale"
    # Then
    with pytest.raises(Conflict):
        stores.bots.save(second)
    assert (stores.bots.get(bot_id).status, stores.bots.get(bot_id).username) == (
        "paused",
        f"bot{bot_id}",
    )


def test_group_round_trips_settings_and_channels(stores: Stores, bot_id: int) -> None:
    # Given
    group = GroupRecord(
        bot_id=bot_id,
        chat_id=-1001,
        title="<b>Fans</b> & co 🎉",
        required_channels=[ChannelRef(-2001, "News", "news", None), ChannelRef(-2002, "Priv")],
        settings={"notice_ttl": 30, "unknown_policy": "allow"},
        protected_by=42,
        created_at=5.0,
        updated_at=5.0,
    )
    # When
    saved = stores.groups.save(group)
    read = stores.groups.get(bot_id, -1001)
    # Then
    assert read.title == "<b>Fans</b> & co 🎉"
    assert read.required_channels == group.required_channels
    assert read.settings == {"notice_ttl": 30, "unknown_policy": "allow"}
    assert read.version == saved.version
    assert stores.groups.find(bot_id, -9) is None
    assert [g.chat_id for g in stores.groups.list_by_bot(bot_id)] == [-1001]


def test_group_created_twice_from_scratch_is_a_conflict(stores: Stores, bot_id: int) -> None:
    stores.groups.save(GroupRecord(bot_id=bot_id, chat_id=-5))
    with pytest.raises(Conflict):
        stores.groups.save(GroupRecord(bot_id=bot_id, chat_id=-5))


def test_deleted_group_is_gone(stores: Stores, bot_id: int) -> None:
    stores.groups.save(GroupRecord(bot_id=bot_id, chat_id=-5))
    stores.groups.delete(bot_id, -5)
    stores.groups.delete(bot_id, -5)
    with pytest.raises(NotFound):
        stores.groups.get(bot_id, -5)


def test_links_are_queryable_both_ways_and_replaced_as_a_set(stores: Stores, bot_id: int) -> None:
    # Given
    stores.links.set_links(bot_id, -10, [-1, -2])
    stores.links.set_links(bot_id, -20, [-2])
    # When the first group now requires -2 and -3
    stores.links.set_links(bot_id, -10, [-2, -3])
    # Then
    assert stores.links.channels_for_group(bot_id, -10) == [-3, -2]
    assert stores.links.groups_for_channel(bot_id, -2) == [-20, -10]
    assert stores.links.groups_for_channel(bot_id, -1) == []
    assert stores.links.groups_for_channel(bot_id + 1, -2) == []


def test_member_ledger_tracks_mutes_per_group_and_per_user(stores: Stores, bot_id: int) -> None:
    # Given
    stores.members.save(
        MemberRecord(
            bot_id=bot_id,
            chat_id=-10,
            user_id=5,
            muted=True,
            restore_permissions={"can_send_messages": True},
            missing_channels=[-1, -2],
        )
    )
    stores.members.save(MemberRecord(bot_id=bot_id, chat_id=-20, user_id=5))
    stores.members.save(MemberRecord(bot_id=bot_id, chat_id=-10, user_id=6))
    # When
    entry = stores.members.find(bot_id, -10, 5)
    # Then
    assert entry is not None
    assert (entry.muted, entry.missing_channels) == (True, [-1, -2])
    assert entry.restore_permissions == {"can_send_messages": True}
    assert [m.chat_id for m in stores.members.list_for_user(bot_id, 5)] == [-10, -20]
    assert [m.user_id for m in stores.members.list_for_group(bot_id, -10)] == [5, 6]
    assert [m.user_id for m in stores.members.list_for_group(bot_id, -10, muted_only=True)] == [5]
    assert stores.members.find(bot_id, -10, 99) is None


def test_concurrent_ledger_writers_cannot_both_win(stores: Stores, bot_id: int) -> None:
    stores.members.save(MemberRecord(bot_id=bot_id, chat_id=-10, user_id=5))
    first = stores.members.find(bot_id, -10, 5)
    second = stores.members.find(bot_id, -10, 5)
    assert first is not None and second is not None
    first.muted = True
    stores.members.save(first)
    second.verdict = "member"
    with pytest.raises(Conflict):
        stores.members.save(second)
    assert stores.members.find(bot_id, -10, 5).muted is True  # type: ignore[union-attr]


def test_new_member_entry_over_an_existing_one_is_a_conflict(stores: Stores, bot_id: int) -> None:
    stores.members.save(MemberRecord(bot_id=bot_id, chat_id=-10, user_id=5))
    with pytest.raises(Conflict):
        stores.members.save(MemberRecord(bot_id=bot_id, chat_id=-10, user_id=5))


def _events(bot_id: int) -> list[EventRecord]:
    return [
        EventRecord(bot_id=bot_id, type="muted", ts=1000.0 + i, chat_id=-10 - (i % 2), user_id=i)
        for i in range(7)
    ] + [EventRecord(bot_id=bot_id, type="verified", ts=2000.0, chat_id=-10, user_id=3)]


def test_events_page_newest_first_with_a_cursor(stores: Stores, bot_id: int) -> None:
    # Given
    for event in _events(bot_id):
        stores.events.put(event)
    # When
    first = stores.events.query(EventQuery(bot_id=bot_id, limit=5))
    second = stores.events.query(EventQuery(bot_id=bot_id, limit=5, cursor=first.cursor))
    # Then
    assert [e.ts for e in first.items] == [2000.0, 1006.0, 1005.0, 1004.0, 1003.0]
    assert [e.ts for e in second.items] == [1002.0, 1001.0, 1000.0]
    assert second.cursor is None


def test_events_filter_by_group_user_type_and_time(stores: Stores, bot_id: int) -> None:
    for event in _events(bot_id):
        stores.events.put(event)
    by_group = stores.events.query(EventQuery(bot_id=bot_id, chat_id=-11, newest_first=False))
    by_user = stores.events.query(EventQuery(bot_id=bot_id, user_id=3))
    by_type = stores.events.query(EventQuery(bot_id=bot_id, types=("verified",)))
    by_time = stores.events.query(EventQuery(bot_id=bot_id, since=1002.0, until=1004.0))
    both = stores.events.query(EventQuery(bot_id=bot_id, chat_id=-10, user_id=3))
    assert [e.user_id for e in by_group.items] == [1, 3, 5]
    assert [e.type for e in by_user.items] == ["verified", "muted"]
    assert [e.ts for e in by_type.items] == [2000.0]
    assert [e.ts for e in by_time.items] == [1004.0, 1003.0, 1002.0]
    assert [e.type for e in both.items] == ["verified"]
    assert stores.events.query(EventQuery(bot_id=bot_id + 1)).items == []


def test_events_keep_their_details(stores: Stores, bot_id: int) -> None:
    event = EventRecord(
        bot_id=bot_id,
        type="muted",
        ts=1.5,
        chat_id=-1,
        user_id=2,
        reason="not_member",
        channels=[-7, -8],
        latency_ms=12.5,
        cache_hit=False,
        telegram_calls=["getChatMember", "restrictChatMember"],
        detail={"name": "<Ann>"},
    )
    stores.events.put(event)
    (read,) = stores.events.query(EventQuery(bot_id=bot_id)).items
    assert read == event


@pytest.mark.parametrize("cursor", ["%%%", "bm90LWEta2V5", "MDAwMDAwMDAwMDAwMCN4"])
def test_a_forged_events_cursor_is_invalid_input(stores: Stores, bot_id: int, cursor: str) -> None:
    stores.events.put(EventRecord(bot_id=bot_id, type="muted", ts=5000.0))
    with pytest.raises(InvalidInput):
        stores.events.query(EventQuery(bot_id=bot_id, cursor=cursor, since=4000.0))


def test_due_jobs_come_oldest_first_and_are_claimed_once(stores: Stores) -> None:
    # Given
    jobs = [JobRecord(kind="delete_notice", due_at=100.0 + i, payload={"n": i}) for i in range(5)]
    later = JobRecord(kind="delete_notice", due_at=1e12)
    for job in [*jobs, later]:
        stores.jobs.put(job)
    # When
    due = [j for j in stores.jobs.due(now=103.0, limit=100) if j.job_id in {x.job_id for x in jobs}]
    # Then
    assert [j.payload["n"] for j in due] == [0, 1, 2, 3]
    assert stores.jobs.claim(due[0]) is True
    assert stores.jobs.claim(due[0]) is False
    assert due[0].job_id not in {j.job_id for j in stores.jobs.due(now=103.0, limit=100)}
    stores.jobs.claim(later)


def test_connections_are_listed_per_operator(stores: Stores, bot_id: int) -> None:
    operator = bot_id
    stores.connections.put(ConnectionRecord("abc=", operator, 1.0, 2_000_000_000, ["all"]))
    stores.connections.put(ConnectionRecord("def=", operator + 1, 1.0, 2_000_000_000))
    assert [c.connection_id for c in stores.connections.list_by_operator(operator)] == ["abc="]
    assert stores.connections.find("abc=").subscriptions == ["all"]  # type: ignore[union-attr]
    stores.connections.delete("abc=")
    stores.connections.delete("def=")
    assert stores.connections.find("abc=") is None


def test_heartbeats_are_listed_in_a_window(stores: Stores, bot_id: int) -> None:
    for minute in (60, 120, 180):
        stores.heartbeats.put(HeartbeatRecord(bot_id, minute, minute != 120, 2_000_000_000))
    window = stores.heartbeats.list(bot_id, 60, 180)
    assert [(h.minute, h.healthy) for h in window] == [(60, True), (120, False)]


def test_a_ticket_is_consumed_once_and_not_after_expiry(stores: Stores, bot_id: int) -> None:
    # Given
    stores.auth.put(AuthRecord("login", f"t{bot_id}", 1.0, 1000, operator_id=5, data={"a": 1}))
    stores.auth.put(AuthRecord("login", f"old{bot_id}", 1.0, 10, operator_id=5))
    # When / Then
    with pytest.raises(Conflict):
        stores.auth.put(AuthRecord("login", f"t{bot_id}", 1.0, 1000))
    assert stores.auth.find("login", f"t{bot_id}", now=2.0).data == {"a": 1}  # type: ignore[union-attr]
    consumed = stores.auth.consume("login", f"t{bot_id}", now=2.0)
    assert consumed is not None and consumed.operator_id == 5
    assert stores.auth.consume("login", f"t{bot_id}", now=2.0) is None
    assert stores.auth.consume("login", f"old{bot_id}", now=20.0) is None


def test_attempt_counter_counts_within_a_window(stores: Stores, bot_id: int) -> None:
    counts = [stores.auth.hit("login-rate", str(bot_id), now=1000.0, window=60) for _ in range(3)]
    assert counts == [1, 2, 3]
    assert stores.auth.hit("login-rate", str(bot_id), now=1080.0, window=60) == 1


def test_stats_add_up_without_reads(stores: Stores, bot_id: int) -> None:
    scope = f"bot#{bot_id}"
    stores.stats.add(scope, "h#2026-11-29T20#muted", 1, expires_at=None)
    stores.stats.add(scope, "h#2026-11-29T21#muted", 1, expires_at=None)
    stores.stats.add(scope, "h#2026-11-29T21#muted", 2, expires_at=None)
    stores.stats.add(scope, "h#2026-11-29T22#muted", 1, expires_at=None)
    assert stores.stats.range(scope, "h#2026-11-29T21", "h#2026-11-29T22") == {
        "h#2026-11-29T21#muted": 3.0
    }


def test_stat_deltas_apply_once_per_marker(stores: Stores, bot_id: int) -> None:
    # Given
    from chalicelib.store.records import StatDelta

    scope = f"bot#{bot_id}"
    deltas = [
        StatDelta(scope, "h#2026-11-29T21#n", 1, 2_000_000_000),
        StatDelta(scope, "h#2026-11-29T21#n", 1, 2_000_000_000),  # merged with the first
        StatDelta(scope, "d#2026-11-29#n", 2, None),
    ]
    # When the same marker is applied twice
    first = stores.stats.apply_once(f"agg#{bot_id}", deltas, marker_expires_at=2_000_000_000)
    second = stores.stats.apply_once(f"agg#{bot_id}", deltas, marker_expires_at=2_000_000_000)
    # Then
    assert (first, second) == (True, False)
    assert stores.stats.range(scope, "d#", "i#") == {
        "d#2026-11-29#n": 2,
        "h#2026-11-29T21#n": 2,
    }


def test_more_stat_deltas_than_one_transaction_holds_apply_once(
    stores: Stores, bot_id: int
) -> None:
    from chalicelib.store.records import StatDelta

    scope = f"bot#{bot_id}"
    deltas = [StatDelta(scope, f"d#2026-11-29#m{i:03d}", 1, None) for i in range(150)]
    stores.stats.apply_once(f"agg#{bot_id}", deltas, marker_expires_at=2_000_000_000)
    stores.stats.apply_once(f"agg#{bot_id}", deltas, marker_expires_at=2_000_000_000)
    counters = stores.stats.range(scope, "d#", "e#")
    assert (len(counters), set(counters.values())) == (150, {1})


def test_failures_are_counted_and_parked_records_listed_newest_first(
    stores: Stores, bot_id: int
) -> None:
    from chalicelib.store.records import ParkedRecord

    source = f"test{bot_id}"
    assert [
        stores.parked.count_failure(source, "seq1", expires_at=2_000_000_000) for _ in "ab"
    ] == [
        1,
        2,
    ]
    for i in range(3):
        stores.parked.park(
            ParkedRecord(
                source, f"seq{i}", "failed", "E: x", 5, 1000.0 + i, 2_000_000_000, {"i": i}
            )
        )
    page = stores.parked.list(source, limit=2)
    rest = stores.parked.list(source, limit=2, cursor=page.cursor)
    assert [r.key for r in page.items] + [r.key for r in rest.items] == ["seq2", "seq1", "seq0"]
    assert page.items[0].payload == {"i": 2} and page.items[0].attempts == 5
    stores.parked.delete(source, page.items[0].parked_id)
    assert [r.key for r in stores.parked.list(source, limit=10).items] == ["seq1", "seq0"]
