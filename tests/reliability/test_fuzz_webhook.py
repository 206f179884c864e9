"""Hostile and odd update shapes at the webhook (valid secret): never a 5xx, never a crash."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.config import Settings
from chalicelib.store.schema import Tables
from tests.reliability.conftest import make_harness
from tests.support.harness import Harness

pytestmark = pytest.mark.integration
EXAMPLES = 150  # modest: two cores

_ids = itertools.count(80_000_000)
GROUP, CHANNEL = -1001000000001, -1001000000002  # the harness's first group and channel

ints = st.integers(min_value=-(2**63), max_value=2**63 - 1)
small = st.integers(min_value=-5, max_value=10**10)
text = st.text(max_size=80)
user = st.fixed_dictionaries(
    {
        "id": st.one_of(small, st.sampled_from([777000, 1087968824, 136817688])),
        "is_bot": st.booleans(),
        "first_name": text,
    },
    optional={
        "username": text,
        "language_code": st.sampled_from(["en", "ru", "xx", ""]),
        "is_premium": st.booleans(),
    },
)
chat = st.fixed_dictionaries(
    {
        "id": st.one_of(st.sampled_from([GROUP, CHANNEL]), ints),
        "type": st.sampled_from(["private", "group", "supergroup", "channel", "weird"]),
    },
    optional={"title": text, "username": text, "is_forum": st.booleans()},
)
status = st.sampled_from(
    ["creator", "administrator", "member", "restricted", "left", "kicked", "??"]
)
member = st.fixed_dictionaries(
    {"status": status, "user": user},
    optional={"is_member": st.booleans(), "until_date": small, "can_send_messages": st.booleans()},
)
message = st.fixed_dictionaries(
    {"message_id": small, "date": small, "chat": chat},
    optional={
        "from": user,
        "sender_chat": chat,
        "text": st.one_of(
            text,
            st.sampled_from(["/protect @news_channel", "/status", "/settings x", "/unprotect"]),
        ),
        "new_chat_members": st.lists(user, max_size=3),
        "left_chat_member": user,
        "migrate_to_chat_id": ints,
        "migrate_from_chat_id": ints,
        "is_automatic_forward": st.booleans(),
        "message_thread_id": small,
        "is_topic_message": st.booleans(),
        "photo": st.lists(
            st.fixed_dictionaries(
                {"file_id": text, "file_unique_id": text, "width": small, "height": small}
            ),
            max_size=2,
        ),
        "entities": st.lists(
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["bot_command", "mention", "x"]),
                    "offset": small,
                    "length": small,
                }
            ),
            max_size=2,
        ),
    },
)
callback = st.fixed_dictionaries(
    {"id": text, "from": user, "chat_instance": text},
    optional={
        "data": st.one_of(
            text, st.builds(lambda n: f"nz:v:{n}", small), st.builds(lambda n: f"nz:j:{n}", ints)
        ),
        "message": message,
    },
)
chat_member = st.fixed_dictionaries(
    {
        "chat": chat,
        "from": user,
        "date": small,
        "old_chat_member": member,
        "new_chat_member": member,
    }
)
join_request = st.fixed_dictionaries(
    {"chat": chat, "from": user, "user_chat_id": small, "date": small}, optional={"bio": text}
)
junk = st.recursive(
    st.none() | st.booleans() | ints | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
payload = st.one_of(
    st.tuples(st.sampled_from(["message", "edited_message"]), message),
    st.tuples(st.just("callback_query"), callback),
    st.tuples(st.sampled_from(["chat_member", "my_chat_member"]), chat_member),
    st.tuples(st.just("chat_join_request"), join_request),
    st.tuples(st.sampled_from(["poll_answer", "message_reaction", "future_kind", "message"]), junk),
)


@pytest.fixture(scope="module")
def fh(tables: Tables, ddb_settings: Settings) -> Iterator[Harness]:
    h = make_harness(tables, ddb_settings)
    h.protect()
    yield h
    h.close()
    h.sandbox.close()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kind_and_body=payload, extra=st.dictionaries(text, junk, max_size=2))
def test_no_update_shape_gets_a_5xx_or_crashes(
    fh: Harness, kind_and_body: tuple[str, Any], extra: dict[str, Any]
) -> None:
    kind, body = kind_and_body
    update: dict[str, Any] = {**extra, "update_id": next(_ids), kind: body}
    secret = fh.keyring.decrypt(fh.bot_record.webhook_secret_ciphertext)
    result = fh.handler.handle(
        str(fh.bot_id), {"X-Telegram-Bot-Api-Secret-Token": secret}, json.dumps(update).encode()
    )
    assert result.status < 500, (result, update)
    assert result.body.get("outcome") != "failed:crash", update
