"""Bot API: the bot's command list."""

from __future__ import annotations

import re
from typing import Any

from infra.local.sandbox.errors import bad_request
from infra.local.sandbox.model import Bot
from infra.local.sandbox.params import Params
from infra.local.sandbox.world import World

_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


def set_my_commands(w: World, bot: Bot, p: Params) -> Any:
    commands = p.get_list("commands", required=True) or []
    if len(commands) > 100:
        raise bad_request("too many commands")
    for command in commands:
        if not isinstance(command, dict) or not _COMMAND.match(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    bot.commands = [{"command": c["command"], "description": c["description"]} for c in commands]
    return True


def get_my_commands(w: World, bot: Bot, p: Params) -> Any:
    return [dict(c) for c in bot.commands]


def delete_my_commands(w: World, bot: Bot, p: Params) -> Any:
    bot.commands = []
    return True
