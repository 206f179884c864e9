"""The control API: `/_sandbox/<action>` mirrors the Sandbox scripting methods over HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.local.sandbox.errors import SandboxError
from infra.local.sandbox.sandbox import Sandbox

POST_ACTIONS = frozenset(
    {
        "create_bot",
        "create_user",
        "create_chat",
        "link_chats",
        "create_topic",
        "add_member",
        "set_webhook",
        "promote",
        "demote",
        "restrict",
        "join",
        "leave",
        "kick",
        "request_join",
        "send_message_as",
        "edit_message_as",
        "press_button",
        "migrate_group",
        "fail_next",
        "wait_idle",
    }
)
_INT_QUERY = ("chat_id", "thread_id", "user_id", "bot_id")


def handle(
    sandbox: Sandbox, verb: str, action: str, query: Mapping[str, str], body: Any
) -> tuple[int, dict[str, Any]]:
    """Run one control action; returns (HTTP status, JSON body)."""
    try:
        if verb == "GET":
            return 200, {"ok": True, "result": _read(sandbox, action, query)}
        if action not in POST_ACTIONS:
            return 404, {"ok": False, "error": f"unknown action {action!r}"}
        if not isinstance(body, dict):
            return 400, {"ok": False, "error": "the body must be a JSON object"}
        return 200, {"ok": True, "result": getattr(sandbox, action)(**body)}
    except (SandboxError, TypeError, ValueError, KeyError) as exc:
        return 400, {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def _read(sandbox: Sandbox, action: str, query: Mapping[str, str]) -> Any:
    args = {k: int(v) for k, v in query.items() if k in _INT_QUERY}
    if action == "state":
        return sandbox.state()
    if action == "messages":
        return sandbox.messages(args["chat_id"], args.get("thread_id"))
    if action == "member":
        return sandbox.member(args["chat_id"], args["user_id"])
    if action == "calls":
        return sandbox.calls(query.get("method"))
    if action == "deliveries":
        return sandbox.deliveries(args.get("bot_id"))
    raise KeyError(f"unknown action {action!r}")
