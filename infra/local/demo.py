"""The demo world of the local stack: who and what exists in the Telegram sandbox at start-up.

The sandbox keeps its state in memory, so the world is rebuilt on every start, in the same
order, which gives the same ids every time (and they match what the app stored in DynamoDB on
earlier runs). The bot's token is fixed per data directory (``.local/secrets.json``), so its
encrypted copy in DynamoDB stays valid across restarts. Seeding is idempotent: an existing
bot registration is re-pointed at this run's webhook URL instead of being created again.

The group is deliberately *not* protected: :func:`scenario` prints the commands that drive
the product from a terminal, as an admin and a member would.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from infra.local.sandbox import Sandbox

DEMO_BOT_ID = 7_100_000_001
DEMO_BOT_USERNAME = "nezuko_demo_bot"
GROUP_TITLE = "Nezuko Demo Group"
CHANNEL_USERNAME = "nezuko_news"
GROUP_BOT_RIGHTS = {
    "can_restrict_members": True,
    "can_delete_messages": True,
    "can_invite_users": True,
}
CHANNEL_BOT_RIGHTS = {"can_invite_users": True, "can_post_messages": True}


@dataclass(frozen=True)
class DemoWorld:
    """Ids of the demo world (what ``.local/demo.json`` holds, minus secrets)."""

    bot_id: int
    bot_username: str
    operator_id: int
    ann_id: int
    group_id: int
    channel_id: int
    channel_username: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return asdict(self)


def build_world(sandbox: Sandbox, bot_token: str) -> DemoWorld:
    """Create the bot, the operator, Ann, the group and the channel in a fresh sandbox."""
    bot = sandbox.create_bot(DEMO_BOT_USERNAME, "Nezuko Demo", token=bot_token)
    operator = sandbox.create_user("Demo", last_name="Admin", username="demo_admin")
    ann = sandbox.create_user("Ann", username="ann", language_code="en")
    group = sandbox.create_chat("supergroup", GROUP_TITLE, creator_id=operator["id"])
    channel = sandbox.create_chat(
        "channel", "Nezuko News", username=CHANNEL_USERNAME, creator_id=operator["id"]
    )
    sandbox.add_member(group["id"], bot["id"], "administrator", rights=GROUP_BOT_RIGHTS)
    sandbox.add_member(channel["id"], bot["id"], "administrator", rights=CHANNEL_BOT_RIGHTS)
    return DemoWorld(
        bot_id=int(bot["id"]),
        bot_username=DEMO_BOT_USERNAME,
        operator_id=int(operator["id"]),
        ann_id=int(ann["id"]),
        group_id=int(group["id"]),
        channel_id=int(channel["id"]),
        channel_username=CHANNEL_USERNAME,
    )


def register_bot(world: DemoWorld, bot_token: str) -> str:
    """Register the demo bot with the app (getMe + setWebhook), or re-point an existing one.

    Goes through ``chalicelib.bots.BotRegistry`` and the app's container, exactly as the
    operator API will; returns ``"registered"`` or ``"re-pointed"``.
    """
    from chalicelib import container
    from chalicelib.bots import BotRegistry
    from chalicelib.errors import NotFound
    from chalicelib.telegram.client import BotApi

    settings = container.settings()
    registry = BotRegistry(
        container.stores().bots,
        container.keyring(),
        lambda token: BotApi(token, http=container.http(), base_url=settings.telegram_api_url),
        settings.webhook_url,
    )
    try:
        existing = container.stores().bots.get(world.bot_id)
    except NotFound:
        existing = None
    if existing is not None and existing.status != "removed":
        registry.point_webhook(existing)
        return "re-pointed"
    registry.register(bot_token, owner_id=world.operator_id)
    return "registered"


def save(world: DemoWorld, path: Path) -> None:
    """Write the demo ids to ``path`` (``.local/demo.json``)."""
    path.write_text(json.dumps(world.to_json(), indent=2) + "\n")


def scenario(world: DemoWorld, sandbox_url: str, rest_url: str) -> list[str]:
    """Shell lines that drive the demo scenario through the sandbox control API."""
    group, channel = world.group_id, world.channel_id

    def post(action: str, body: dict[str, Any]) -> str:
        return f"post {action} {shlex.quote(json.dumps(body))}"

    return [
        f"S={sandbox_url}",
        "post() { curl -s -X POST \"$S/_sandbox/$1\" -H 'Content-Type: application/json' "
        '-d "$2"; echo; }',
        "# 1. the admin protects the group with the channel (the bot replies in the group)",
        post(
            "send_message_as",
            {
                "chat_id": group,
                "user_id": world.operator_id,
                "text": f"/protect @{CHANNEL_USERNAME}",
            },
        ),
        "# 2. Ann joins the group: she is muted and a notice with buttons appears",
        post("join", {"chat_id": group, "user_id": world.ann_id}),
        f'curl -s "$S/_sandbox/member?chat_id={group}&user_id={world.ann_id}"; echo',
        "# 3. Ann joins the channel: she can write again and the notice goes away",
        post("join", {"chat_id": channel, "user_id": world.ann_id}),
        f'curl -s "$S/_sandbox/member?chat_id={group}&user_id={world.ann_id}"; echo',
        "# the group's messages (the bot's replies and notices included)",
        f'curl -s "$S/_sandbox/messages?chat_id={group}"; echo',
        "# sign in to the dashboard: ask the login bot for a link, then open the link it sent",
        post(
            "send_message_as",
            {"chat_id": world.bot_id, "user_id": world.operator_id, "text": "/login"},
        ),
        f'curl -s "$S/_sandbox/messages?chat_id={world.operator_id}"'
        ' | grep -o "http[^\\"]*#login=[^\\"]*"',
        "# a websocket ticket for the live feed (local only): connect to the websocket URL",
        f"curl -s -X POST {rest_url}/_local/ticket; echo",
    ]
