"""Overview numbers, analytics and uptime, scoped to the operator."""

from __future__ import annotations

import pytest

from chalicelib.dashboard_api.schemas import AnalyticsQuery
from chalicelib.errors import NotFound
from chalicelib.store.records import ChannelRef, HeartbeatRecord, MemberRecord
from tests.unit.dashboard_api.conftest import NOW, OPERATOR_A, OPERATOR_B, ApiWorld


def test_overview_counts_protected_groups_channels_and_muted_members(world: ApiWorld) -> None:
    world.bot(11)
    world.group(11, -1, required_channels=[ChannelRef(chat_id=-5), ChannelRef(chat_id=-6)])
    world.group(11, -2, required_channels=[ChannelRef(chat_id=-5)])
    world.group(11, -3, enabled=False, required_channels=[ChannelRef(chat_id=-7)])
    world.stores.members.save(MemberRecord(bot_id=11, chat_id=-1, user_id=1, muted=True))
    for minute in range(int(NOW // 60) - 10, int(NOW // 60)):
        world.stores.heartbeats.put(
            HeartbeatRecord(bot_id=11, minute=minute * 60, healthy=True, expires_at=0)
        )

    out = world.api.overview.overview(world.api.scope(OPERATOR_A))

    assert (out.protected_groups, out.channels, out.muted_now) == (2, 2, 1)
    assert out.verifications_today == 0 and out.pass_rate is None
    assert out.uptime_percent == 100.0


def test_analytics_of_another_operators_bot_is_not_found(world: ApiWorld) -> None:
    world.bot(11, owner=OPERATOR_B)

    with pytest.raises(NotFound):
        world.api.overview.analytics(world.api.scope(OPERATOR_A), AnalyticsQuery(bot_id=11))


def test_analytics_answers_every_series_for_the_period(world: ApiWorld) -> None:
    world.bot(11)

    out = world.api.overview.analytics(world.api.scope(OPERATOR_A), AnalyticsQuery(period="7d"))

    assert out.period == "7d" and len(out.hourly_activity) == 24
    assert out.buckets and set(out.latency) >= {"p50", "p95"}


def test_uptime_of_own_bot_has_three_windows(world: ApiWorld) -> None:
    world.bot(11)

    out = world.api.overview.uptime(world.api.scope(OPERATOR_A), 11)

    assert set(out.windows) == {"24h", "7d", "30d"}
    with pytest.raises(NotFound):
        world.api.overview.uptime(world.api.scope(OPERATOR_B), 11)
