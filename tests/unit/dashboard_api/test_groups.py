"""Groups and channels: lists, settings with audit, enable, required channels, scoping."""

from __future__ import annotations

import pytest

from chalicelib.dashboard_api.schemas import ChannelListQuery, GroupListQuery
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.store.records import ChannelRef, EventQuery, MemberRecord
from tests.unit.dashboard_api.conftest import OPERATOR_A, OPERATOR_B, ApiWorld

GROUP = -1001000000001
CHANNEL = -1001000000002


@pytest.fixture
def scene(world: ApiWorld) -> ApiWorld:
    world.bot(11)
    world.group(11, GROUP, "Readers")
    world.group(11, -1001000000009, "Writers", enabled=False)
    world.telegram.chats[CHANNEL] = {
        "id": CHANNEL,
        "type": "channel",
        "title": "News",
        "username": "news",
    }
    return world


def test_groups_filter_by_enabled_and_title(scene: ApiWorld) -> None:
    scope = scene.api.scope(OPERATOR_A)

    enabled = scene.api.groups.list(scope, GroupListQuery(enabled=True))
    searched = scene.api.groups.list(scope, GroupListQuery(q="WRIT"))

    assert [g.title for g in enabled.items] == ["Readers"]
    assert [g.title for g in searched.items] == ["Writers"]


def test_group_detail_counts_members_muted_now(scene: ApiWorld) -> None:
    scene.stores.members.save(MemberRecord(bot_id=11, chat_id=GROUP, user_id=5, muted=True))
    scene.stores.members.save(MemberRecord(bot_id=11, chat_id=GROUP, user_id=6))

    detail = scene.api.groups.get(scene.api.scope(OPERATOR_A), 11, GROUP)

    assert detail.ledger.muted_now == 1
    assert detail.settings["notice_ttl"] == 60


def test_another_operator_cannot_see_or_change_the_group(scene: ApiWorld) -> None:
    scope = scene.api.scope(OPERATOR_B)

    with pytest.raises(NotFound):
        scene.api.groups.get(scope, 11, GROUP)
    with pytest.raises(NotFound):
        scene.api.groups.update_settings(scope, 11, GROUP, {"notice_ttl": 30})
    assert scene.api.groups.list(scope, GroupListQuery()).items == []


def test_changes_from_the_dashboard_reach_the_enforcement_caches_at_once(
    scene: ApiWorld,
) -> None:
    scope = scene.api.scope(OPERATOR_A)
    scene.api.groups.update_settings(scope, 11, GROUP, {"notice_ttl": 120})
    scene.api.groups.set_enabled(scope, 11, GROUP, enabled=False)
    assert scene.changed_groups == [(11, GROUP), (11, GROUP)]


def test_switching_a_group_off_schedules_lifting_our_mutes(scene: ApiWorld) -> None:
    scene.api.groups.set_enabled(scene.api.scope(OPERATOR_A), 11, GROUP, enabled=False)
    jobs = scene.stores.jobs.due(now=10**12, limit=10)
    assert [(j.kind, j.payload) for j in jobs] == [
        ("release_group", {"bot_id": 11, "chat_id": GROUP})
    ]


def test_a_settings_change_is_saved_and_audited_with_its_diff(scene: ApiWorld) -> None:
    detail = scene.api.groups.update_settings(
        scene.api.scope(OPERATOR_A), 11, GROUP, {"notice_ttl": 120, "allow_bots": True}
    )

    events = scene.stores.events.query(EventQuery(bot_id=11, types=("settings_changed",))).items
    assert detail.settings["notice_ttl"] == 120
    assert len(events) == 1
    assert (events[0].actor_id, events[0].chat_id) == (OPERATOR_A, GROUP)
    assert events[0].detail["changes"] == {"notice_ttl": {"from": 60, "to": 120}}


@pytest.mark.parametrize(
    ("updates", "field"),
    [
        ({"notice_ttl": 1}, "notice_ttl"),
        ({"unknown_policy": "ban"}, "unknown_policy"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_settings_name_the_field(
    scene: ApiWorld, updates: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput, match=f"^{field}: ") as caught:
        scene.api.groups.update_settings(scene.api.scope(OPERATOR_A), 11, GROUP, updates)
    assert caught.value.details["field"] == field


def test_disabling_a_group_unlinks_its_channels(scene: ApiWorld) -> None:
    group = scene.stores.groups.get(11, GROUP)
    group.required_channels = [ChannelRef(chat_id=CHANNEL, title="News")]
    scene.stores.groups.save(group)
    scene.stores.links.set_links(11, GROUP, [CHANNEL])

    detail = scene.api.groups.set_enabled(scene.api.scope(OPERATOR_A), 11, GROUP, enabled=False)

    assert detail.enabled is False
    assert scene.stores.links.groups_for_channel(11, CHANNEL) == []


def test_a_channel_where_the_bot_is_not_admin_is_refused(scene: ApiWorld) -> None:
    with pytest.raises(InvalidInput, match="admin of this channel"):
        scene.api.groups.add_channel(scene.api.scope(OPERATOR_A), 11, GROUP, "@news")


def test_adding_a_channel_links_it_and_lists_it_with_its_groups(scene: ApiWorld) -> None:
    scene.telegram.admins.add((CHANNEL, 11))
    scope = scene.api.scope(OPERATOR_A)

    detail = scene.api.groups.add_channel(scope, 11, GROUP, "@news")

    assert [c.chat_id for c in detail.required_channels] == [CHANNEL]
    assert scene.stores.links.groups_for_channel(11, CHANNEL) == [GROUP]
    channels = scene.api.groups.channels(scope, ChannelListQuery())
    assert [(c.chat_id, [g.chat_id for g in c.groups]) for c in channels.items] == [
        (CHANNEL, [GROUP])
    ]


def test_removing_a_channel_that_is_not_required_is_not_found(scene: ApiWorld) -> None:
    with pytest.raises(NotFound):
        scene.api.groups.remove_channel(scene.api.scope(OPERATOR_A), 11, GROUP, CHANNEL)
