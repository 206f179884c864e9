"""Join requests, migration, lost rights, policies, languages and templates."""

from __future__ import annotations

import pytest

from tests.support.harness import Harness

pytestmark = pytest.mark.integration


@pytest.fixture
def protected(h: Harness) -> Harness:
    h.protect()
    return h


def _private_messages(h: Harness, user_id: int) -> list[dict]:
    return [m for m in h.sandbox.messages(user_id) if (m.get("from") or {}).get("id") == h.bot_id]


def test_join_request_of_a_subscriber_is_approved_at_once(protected: Harness) -> None:
    h = protected
    ann = h.user("Ann")
    h.subscribe(ann)
    h.sandbox.request_join(h.group, ann)
    assert h.status(ann)["status"] == "member"
    assert [e.type for e in h.events("join_request_approved")] == ["join_request_approved"]


def test_join_request_of_a_non_subscriber_gets_instructions_then_approval_on_joining(
    protected: Harness,
) -> None:
    h = protected
    ann = h.user("Ann")
    # When Ann asks to join without the channel
    h.sandbox.request_join(h.group, ann)
    # Then she is not in yet and got the instructions privately
    assert h.status(ann)["status"] == "left"
    (dm,) = _private_messages(h, ann)
    assert "@news_channel" in dm["text"]
    # When she joins the channel
    h.sandbox.join(h.channel, ann)
    # Then her request is approved without anyone pressing anything
    assert h.status(ann)["status"] == "member"
    assert h.can_write(ann)


def test_join_request_button_in_private_approves_after_joining(protected: Harness) -> None:
    h = protected
    ann = h.user("Ann")
    h.sandbox.request_join(h.group, ann)
    (dm,) = _private_messages(h, ann)
    h.subscribe(ann)
    h.sandbox.press_button(ann, dm["message_id"], ann, f"nz:j:{h.group}")
    assert h.status(ann)["status"] == "member"


def test_unfinished_join_request_is_declined_after_the_timeout(protected: Harness) -> None:
    h = protected
    ann = h.user("Ann")
    h.sandbox.request_join(h.group, ann)
    h.clock.advance(61 * 60)
    h.janitor()
    assert [e.type for e in h.events("join_request_declined")] == ["join_request_declined"]
    assert any(c["method"] == "declineChatJoinRequest" for c in h.calls())


def test_group_migration_carries_protection_over(h: Harness) -> None:
    # Given a protected basic group
    basic = h.sandbox.create_chat("group", "Small", creator_id=h.admin)["id"]
    h.sandbox.add_member(
        basic,
        h.bot_id,
        "administrator",
        rights={"can_restrict_members": True, "can_delete_messages": True},
    )
    h.sandbox.send_message_as(basic, h.admin, "/protect @news_channel")
    assert h.stores.groups.find(h.bot_id, basic) is not None
    # When it becomes a supergroup
    new = h.sandbox.migrate_group(basic)["id"]
    # Then the config lives under the new id, once
    assert h.stores.groups.find(h.bot_id, basic) is None
    moved = h.stores.groups.get(h.bot_id, new)
    assert [c.chat_id for c in moved.required_channels] == [h.channel]
    assert h.stores.links.groups_for_channel(h.bot_id, h.channel) == [new]
    # And enforcement continues there
    bob = h.user("Bob")
    h.sandbox.add_member(new, bob)
    h.sandbox.send_message_as(new, bob, "hi")
    assert h.sandbox.member(new, bob)["status"] == "restricted"


def test_losing_admin_in_the_channel_warns_the_group_and_mutes_no_one(
    protected: Harness,
) -> None:
    h = protected
    # When the channel's owner demotes the bot
    h.sandbox.demote(h.channel, h.bot_id)
    # Then the group's admins are told what to fix
    assert "no longer an admin in @news_channel" in h.last_bot_text()
    assert [e.type for e in h.events("bot_rights_lost")] == ["bot_rights_lost"]
    # And members are let through instead of muted
    bob = h.user("Bob", in_group=True)
    h.say(bob, "hello")
    assert h.can_write(bob)


def test_losing_restrict_rights_in_the_group_warns_the_admins(protected: Harness) -> None:
    h = protected
    h.sandbox.promote(h.group, h.bot_id, can_restrict_members=False, can_delete_messages=True)
    assert "can no longer restrict" in h.last_bot_text()


def test_settings_change_takes_effect_and_is_audited(protected: Harness) -> None:
    h = protected
    h.say(h.admin, "/settings notice_ttl 300")
    assert "notice_ttl is now 300" in h.last_bot_text()
    (event,) = h.events("settings_changed")
    assert event.actor_id == h.admin
    assert event.detail == {"changes": {"notice_ttl": {"from": 60, "to": 300}}}
    # The notice now lives 300 s, not 60
    h.sandbox.join(h.group, h.user("Ann"))
    h.clock.advance(120)
    h.janitor()
    assert len([m for m in h.bot_messages() if "nz:v:" in str(m.get("reply_markup"))]) == 1


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/settings notice_ttl 5", "greater than or equal to 10"),
        ("/settings unknown maybe", "unknown_policy"),
        ("/settings nonsense 1", "Unknown setting"),
        ("/settings template {mention.__class__}", "use only {mention}"),
        ("/settings language xx", "language must be one of"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(
    protected: Harness, command: str, expected: str
) -> None:
    h = protected
    h.say(h.admin, command)
    assert expected in h.last_bot_text()
    assert h.events("settings_changed") == []


def test_settings_view_lists_every_setting(protected: Harness) -> None:
    h = protected
    h.say(h.admin, "/settings")
    text = h.last_bot_text()
    for name in ("notice_ttl", "unknown", "sender_chat", "bots", "kick_after", "language"):
        assert name in text


def test_whitelisting_by_reply_lets_a_muted_member_write(protected: Harness) -> None:
    h = protected
    ann = h.user("Ann")
    h.sandbox.join(h.group, ann)
    assert not h.can_write(ann)
    service = [m for m in h.sandbox.messages(h.group) if m.get("new_chat_members")][-1]
    h.say(h.admin, "/whitelist add", reply_to=service["message_id"])
    assert h.can_write(ann)
    h.say(ann, "thanks")
    assert h.can_write(ann)


def test_members_are_told_in_their_language(protected: Harness) -> None:
    h = protected
    hans = h.user("Hans", language="de")
    h.sandbox.join(h.group, hans)
    (notice,) = h.notices_for(hans)
    assert "tritt bitte zuerst" in notice["text"]


def test_group_language_override_wins(protected: Harness) -> None:
    h = protected
    h.say(h.admin, "/settings language es")
    hans = h.user("Hans", language="de")
    h.sandbox.join(h.group, hans)
    (notice,) = h.notices_for(hans)
    assert "únete primero" in notice["text"]


def test_custom_notice_template_is_used_and_cannot_inject_html(protected: Harness) -> None:
    h = protected
    h.say(h.admin, "/settings template <i>Hey</i> {mention}, join {channels} to chat in {group}")
    ann = h.user("Ann")
    h.sandbox.join(h.group, ann)
    (notice,) = h.notices_for(ann)
    assert notice["text"].startswith(
        "<i>Hey</i> Ann, join @news_channel to chat in Fans <&> Friends"
    )


def test_members_still_unverified_are_kicked_after_the_set_time(protected: Harness) -> None:
    h = protected
    h.say(h.admin, "/settings kick_after 10")
    ann = h.user("Ann")
    h.sandbox.join(h.group, ann)
    h.clock.advance(11 * 60)
    h.janitor()
    assert h.status(ann)["status"] == "left"
    assert [e.type for e in h.events("kicked_unverified")] == ["kicked_unverified"]


def test_verified_members_are_not_kicked(protected: Harness) -> None:
    h = protected
    h.say(h.admin, "/settings kick_after 10")
    ann = h.user("Ann")
    h.sandbox.join(h.group, ann)
    h.sandbox.join(h.channel, ann)
    h.clock.advance(11 * 60)
    h.janitor()
    assert h.can_write(ann)
    assert h.events("kicked_unverified") == []


def test_bots_are_removed_when_the_group_does_not_allow_them(protected: Harness) -> None:
    h = protected
    h.say(h.admin, "/settings bots off")
    spam = h.sandbox.create_user("SpamBot", is_bot=True)["id"]
    h.sandbox.join(h.group, spam)
    assert h.status(spam)["status"] == "left"
    assert [e.type for e in h.events("bot_removed")] == ["bot_removed"]


def test_posting_as_a_channel_is_deleted_by_default(protected: Harness) -> None:
    h = protected
    own = h.sandbox.create_chat("channel", "Bob's channel")["id"]
    bob = h.user("Bob", in_group=True)
    h.sandbox.add_member(own, bob, "creator")
    message = h.sandbox.send_message_as(h.group, bob, "promo", sender_chat_id=own)
    assert message["message_id"] not in [m["message_id"] for m in h.sandbox.messages(h.group)]
    assert [e.reason for e in h.events("sender_chat_blocked")] == ["policy_delete"]


def test_a_raid_is_told_in_shared_notices_not_dropped(protected: Harness) -> None:
    h = protected
    # Given 25 people join within a minute (Telegram allows ~20 messages a minute per group)
    raiders = [h.user(f"Raider{i}") for i in range(25)]
    for user_id in raiders:
        h.sandbox.join(h.group, user_id, wait=False)
    h.sandbox.wait_idle(60)
    own = [u for u in raiders if h.notices_for(u)]
    assert len(own) == 20
    assert all(not h.can_write(u) for u in raiders)
    # When the next minute's janitor runs
    h.clock.advance(61)
    h.janitor()
    # Then the other five are named in one shared notice with the join button
    shared = [m for m in h.bot_messages() if "Raider" in m["text"] and "nz:v:" not in str(m)]
    (notice,) = shared
    named = {u for u in raiders if f"tg://user?id={u}" in str(notice.get("entities"))}
    assert named == set(raiders) - set(own)
    buttons = [b for row in notice["reply_markup"]["inline_keyboard"] for b in row]
    assert [b.get("url") for b in buttons] == ["https://t.me/news_channel"]


def test_a_channel_join_telegram_never_reported_is_caught_by_the_recheck(
    protected: Harness,
) -> None:
    h = protected
    ann = h.user("Ann")
    h.sandbox.join(h.group, ann)
    # Given Ann joined the channel without any update reaching us
    h.subscribe(ann)
    # When the re-check five minutes later runs
    h.clock.advance(301)
    h.janitor()
    # Then she is let in and the notice is gone
    assert h.can_write(ann)
    assert h.notices_for(ann) == []
    assert [e.type for e in h.events("unmuted_on_recheck")] == ["unmuted_on_recheck"]


def test_the_recheck_looks_again_later_while_the_member_is_still_out(protected: Harness) -> None:
    h = protected
    ann = h.user("Ann")
    h.sandbox.join(h.group, ann)
    h.clock.advance(301)
    h.janitor()
    assert not h.can_write(ann)
    h.subscribe(ann)
    h.clock.advance(901)
    h.janitor()
    assert h.can_write(ann)


def test_switching_protection_off_elsewhere_lifts_our_mutes_through_the_janitor(
    protected: Harness,
) -> None:
    h = protected
    ann, bob = h.user("Ann"), h.user("Bob")
    h.sandbox.join(h.group, ann)
    h.sandbox.join(h.group, bob)
    # Given the dashboard switched protection off (what GroupAdmin.set_enabled writes)
    group = h.stores.groups.get(h.bot_id, h.group)
    group.enabled = False
    h.stores.groups.save(group)
    h.gate.forget_group(h.bot_id, h.group)
    h.actions.release_later(h.bot_id, h.group)
    # When the janitor runs
    h.janitor()
    # Then both can write again
    assert h.can_write(ann) and h.can_write(bob)
