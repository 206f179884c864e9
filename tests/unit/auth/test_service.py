"""Sign-in flows, sessions and rate limits (memory stores, movable clock)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from chalicelib.auth.widget import sign_widget
from chalicelib.errors import Forbidden, RateLimited, Unauthorized
from tests.unit.auth.conftest import LOGIN_TOKEN, OPERATOR, OTHER, AuthWorld


def widget(world: AuthWorld, user_id: int = OPERATOR) -> dict[str, object]:
    payload: dict[str, object] = {
        "id": user_id,
        "first_name": "Olga",
        "auth_date": int(world.clock.now),
    }
    payload["hash"] = sign_widget(payload, LOGIN_TOKEN)
    return payload


def code_of(link: str) -> str:
    return urlsplit(link).fragment.removeprefix("login=")


# ----- widget -------------------------------------------------------------------------


def test_an_operator_signs_in_with_the_widget(world: AuthWorld) -> None:
    session = world.auth.sign_in_widget(widget(world), ip="1.2.3.4")

    assert world.auth.authenticate(f"Bearer {session.token}").operator_id == OPERATOR


def test_a_replayed_widget_payload_is_refused(world: AuthWorld) -> None:
    payload = widget(world)
    world.auth.sign_in_widget(payload, ip="1.2.3.4")

    with pytest.raises(Unauthorized, match="used already"):
        world.auth.sign_in_widget(payload, ip="1.2.3.4")


def test_a_valid_widget_payload_of_a_non_operator_is_forbidden(world: AuthWorld) -> None:
    with pytest.raises(Forbidden, match="not an operator"):
        world.auth.sign_in_widget(widget(world, OTHER), ip="1.2.3.4")


def test_widget_sign_in_without_a_registered_login_bot_says_so(world: AuthWorld) -> None:
    bot = world.stores.bots.get(700000001)
    bot.status = "removed"
    world.stores.bots.save(bot)

    with pytest.raises(Forbidden, match="login bot"):
        world.auth.sign_in_widget(widget(world), ip="1.2.3.4")


# ----- magic link ---------------------------------------------------------------------


def test_a_magic_link_carries_its_code_in_the_fragment_only(world: AuthWorld) -> None:
    link = world.auth.magic_link_for(OPERATOR)

    assert link is not None
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path, parts.query) == (
        "https",
        "dash.example.com",
        "/",
        "",
    )
    assert parts.fragment.startswith("login=")


def test_a_non_operator_gets_no_magic_link(world: AuthWorld) -> None:
    assert world.auth.magic_link_for(OTHER) is None


def test_a_magic_link_works_once(world: AuthWorld) -> None:
    code = code_of(world.auth.magic_link_for(OPERATOR) or "")
    world.auth.sign_in_magic(code, ip="1.2.3.4")

    with pytest.raises(Unauthorized, match="invalid, used or expired"):
        world.auth.sign_in_magic(code, ip="1.2.3.4")


def test_a_magic_link_expires_after_five_minutes(world: AuthWorld) -> None:
    code = code_of(world.auth.magic_link_for(OPERATOR) or "")
    world.clock.now += 301

    with pytest.raises(Unauthorized):
        world.auth.sign_in_magic(code, ip="1.2.3.4")


def test_magic_codes_are_stored_hashed(world: AuthWorld) -> None:
    code = code_of(world.auth.magic_link_for(OPERATOR) or "")

    assert world.stores.auth.find("magic", code, now=world.clock.now) is None


def test_asking_for_many_magic_links_is_rate_limited(world: AuthWorld) -> None:
    for _ in range(3):
        world.auth.magic_link_for(OPERATOR)

    with pytest.raises(RateLimited) as caught:
        world.auth.magic_link_for(OPERATOR)
    assert 0 < caught.value.retry_after <= 300


# ----- sessions -----------------------------------------------------------------------


def test_a_session_expires_after_twelve_hours(world: AuthWorld) -> None:
    session = world.auth.sign_in_widget(widget(world), ip="1.2.3.4")
    world.clock.now += 12 * 3600

    with pytest.raises(Unauthorized, match="expired"):
        world.auth.authenticate(f"Bearer {session.token}")


def test_logout_revokes_the_session(world: AuthWorld) -> None:
    session = world.auth.sign_in_widget(widget(world), ip="1.2.3.4")
    world.auth.logout(world.auth.authenticate(f"Bearer {session.token}"))

    with pytest.raises(Unauthorized, match="signed out"):
        world.auth.authenticate(f"Bearer {session.token}")


@pytest.mark.parametrize(
    "header",
    [None, "", "Basic abc", "Bearer", "Bearer nzs1.1.abc.1.00", "Bearer " + "x" * 5000],
)
def test_missing_or_malformed_credentials_are_unauthorized(
    world: AuthWorld, header: str | None
) -> None:
    with pytest.raises(Unauthorized):
        world.auth.authenticate(header)


def test_a_token_with_a_forged_operator_id_is_rejected(world: AuthWorld) -> None:
    token = world.auth.sign_in_widget(widget(world), ip="1.2.3.4").token
    _, _, rest = token.partition(".")
    forged = f"nzs1.{OTHER}.{rest.split('.', 1)[1]}"

    with pytest.raises(Unauthorized, match="not valid"):
        world.auth.authenticate(f"Bearer {forged}")


def test_a_token_with_a_stretched_expiry_is_rejected(world: AuthWorld) -> None:
    token = world.auth.sign_in_widget(widget(world), ip="1.2.3.4").token
    prefix, operator, sid, expiry, signature = token.split(".")
    forged = ".".join([prefix, operator, sid, str(int(expiry) + 86400), signature])

    with pytest.raises(Unauthorized, match="not valid"):
        world.auth.authenticate(f"Bearer {forged}")


def test_sign_in_attempts_from_one_address_are_rate_limited(world: AuthWorld) -> None:
    for _ in range(20):
        with pytest.raises(Unauthorized):
            world.auth.sign_in_magic("x" * 40, ip="6.6.6.6")

    with pytest.raises(RateLimited):
        world.auth.sign_in_magic("x" * 40, ip="6.6.6.6")
    world.auth.sign_in_magic(code_of(world.auth.magic_link_for(OPERATOR) or ""), ip="7.7.7.7")
