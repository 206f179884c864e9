"""An Auth service over memory stores, with a movable clock and a registered login bot."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from chalicelib.auth.service import Auth, LoginBotToken
from chalicelib.crypto import Keyring
from chalicelib.store.bundle import Stores, memory_stores
from chalicelib.store.records import BotRecord

LOGIN_TOKEN = "700000001:" + "L" * 35
OPERATOR = 1001
OTHER = 2002


class Clock:
    def __init__(self, now: float = 1_760_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class AuthWorld:
    auth: Auth
    stores: Stores
    clock: Clock


@pytest.fixture
def world() -> AuthWorld:
    stores = memory_stores()
    keyring = Keyring.from_spec(Keyring.new_key_spec("k1"))
    stores.bots.create(
        BotRecord(
            bot_id=700000001,
            owner_id=OPERATOR,
            username="Nezuko_Login_Bot",
            token_ciphertext=keyring.encrypt(LOGIN_TOKEN),
            webhook_secret_ciphertext=keyring.encrypt("s"),
        )
    )
    clock = Clock()
    auth = Auth(
        stores.auth,
        operator_ids=frozenset({OPERATOR}),
        secret=b"unit-secret",
        login_bot=LoginBotToken(stores.bots, keyring, "@nezuko_login_bot"),
        dashboard_origin="https://dash.example.com/",
        clock=clock,
    )
    return AuthWorld(auth, stores, clock)
