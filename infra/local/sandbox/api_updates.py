"""Bot API: identity and update delivery settings (getMe, webhooks, getUpdates)."""

from __future__ import annotations

import copy
import re
import time
from typing import Any

from infra.local.sandbox import render
from infra.local.sandbox.errors import BotApiError, bad_request
from infra.local.sandbox.model import Bot
from infra.local.sandbox.params import Params
from infra.local.sandbox.result import Described
from infra.local.sandbox.world import World

_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


def get_me(w: World, bot: Bot, p: Params) -> Any:
    return render.me(bot)


def _set_allowed_updates(bot: Bot, p: Params) -> None:
    if p.raw.get("allowed_updates") is not None:  # absent: keep the previous setting
        allowed = p.get_list("allowed_updates") or []
        bot.allowed_updates = [str(kind) for kind in allowed]


def set_webhook(w: World, bot: Bot, p: Params) -> Any:
    url = p.get_str("url") or ""
    if not url:
        return delete_webhook(w, bot, p)
    if not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.get_str("secret_token")
    if secret is not None and not _SECRET.match(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = p.get_int("max_connections") or 40
    if not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be between 1 and 100")
    _set_allowed_updates(bot, p)
    if p.get_bool("drop_pending_updates"):
        bot.queue.clear()
    bot.webhook_url, bot.secret_token, bot.max_connections = url, secret, max_connections
    bot.attempts = 0
    w.on_webhook_set(bot.user.id)
    w.cond.notify_all()
    return Described(True, "Webhook was set")


def delete_webhook(w: World, bot: Bot, p: Params) -> Any:
    if p.get_bool("drop_pending_updates"):
        bot.queue.clear()
    was_set = bool(bot.webhook_url)
    bot.webhook_url, bot.secret_token, bot.attempts = "", None, 0
    w.cond.notify_all()
    return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")


def get_webhook_info(w: World, bot: Bot, p: Params) -> Any:
    info: dict[str, Any] = {
        "url": bot.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(bot.queue),
    }
    if bot.last_error_date is not None:
        info["last_error_date"] = bot.last_error_date
        info["last_error_message"] = bot.last_error_message or ""
    if bot.webhook_url:
        info["max_connections"] = bot.max_connections
        info["ip_address"] = "127.0.0.1"
    if bot.allowed_updates:
        info["allowed_updates"] = list(bot.allowed_updates)
    return info


def get_updates(w: World, bot: Bot, p: Params) -> Any:
    """Long polling: confirm updates below `offset`, wait up to `timeout` seconds for new ones."""
    if bot.webhook_url:
        raise BotApiError(409, _WEBHOOK_CONFLICT)
    _set_allowed_updates(bot, p)
    offset = p.get_int("offset")
    if offset is not None and offset < 0:
        bot.queue[:] = bot.queue[offset:]
    elif offset:
        bot.queue[:] = [u for u in bot.queue if u["update_id"] >= offset]
    limit = max(1, min(p.get_int("limit") or 100, 100))
    bot.poll_generation += 1
    generation = bot.poll_generation
    w.cond.notify_all()
    deadline = time.monotonic() + max(0, p.get_int("timeout") or 0)
    while not bot.queue and not w.closed:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        w.cond.wait(remaining)
        if bot.poll_generation != generation:
            raise BotApiError(409, _POLL_CONFLICT)
        if bot.webhook_url:
            raise BotApiError(409, _WEBHOOK_CONFLICT)
    return copy.deepcopy(bot.queue[:limit])
