"""Telegram Login Widget verification."""

from __future__ import annotations

import pytest

from chalicelib.auth.widget import data_check_string, sign_widget, verify_widget
from chalicelib.errors import InvalidInput, Unauthorized

TOKEN = "123456:" + "A" * 35
NOW = 1_760_000_000


def signed(**fields: object) -> dict[str, object]:
    payload: dict[str, object] = {"id": 42, "first_name": "Olga", "auth_date": NOW, **fields}
    payload["hash"] = sign_widget(payload, TOKEN)
    return payload


def test_data_check_string_is_sorted_key_value_lines_without_the_hash() -> None:
    assert data_check_string({"id": 1, "hash": "x", "auth_date": 2, "a": "b"}) == (
        "a=b\nauth_date=2\nid=1"
    )


def test_a_correctly_signed_fresh_payload_names_its_user() -> None:
    user = verify_widget(signed(username="olga"), TOKEN, now=NOW + 5)

    assert (user.user_id, user.username, user.auth_date) == (42, "olga", NOW)


def test_a_payload_signed_with_another_bots_token_is_rejected() -> None:
    payload = signed()
    payload["hash"] = sign_widget(payload, "999:" + "B" * 35)

    with pytest.raises(Unauthorized):
        verify_widget(payload, TOKEN, now=NOW)


def test_a_changed_field_breaks_the_signature() -> None:
    payload = signed()
    payload["id"] = 43

    with pytest.raises(Unauthorized, match="could not be verified"):
        verify_widget(payload, TOKEN, now=NOW)


def test_a_payload_older_than_ten_minutes_is_stale() -> None:
    with pytest.raises(Unauthorized, match="expired"):
        verify_widget(signed(), TOKEN, now=NOW + 601)


def test_a_payload_dated_in_the_future_is_rejected() -> None:
    with pytest.raises(Unauthorized, match="future"):
        verify_widget(signed(auth_date=NOW + 3600), TOKEN, now=NOW)


@pytest.mark.parametrize(
    "change",
    [
        {"id": True},
        {"id": "12a"},
        {"photo_url": ["x"]},
        {"first_name": "x" * 600},
        {"Bad-Key": "x"},
        {"hash": "zz"},
    ],
)
def test_payloads_of_the_wrong_shape_are_invalid_input(change: dict[str, object]) -> None:
    payload = {**signed(), **change}

    with pytest.raises(InvalidInput):
        verify_widget(payload, TOKEN, now=NOW)
