"""Group settings and the permission sets we apply."""

from __future__ import annotations

from chalicelib.enforcement.policy import GroupSettings, default_permissions, permissions_of


def test_stored_settings_with_bad_values_fall_back_per_field() -> None:
    settings = GroupSettings.load({"notice_ttl": -5, "unknown_policy": "hold", "x": 1})
    assert (settings.notice_ttl, settings.unknown_policy) == (60, "hold")


def test_restored_permissions_keep_rights_newer_than_our_list() -> None:
    chat = {"permissions": {"can_send_messages": True, "can_do_something_new": True}}
    restored = default_permissions(chat)
    assert restored["can_send_messages"] and restored["can_do_something_new"]
    assert restored["can_react_to_messages"] is False  # known, not granted: stays off
    assert permissions_of({"status": "member"}) is None
