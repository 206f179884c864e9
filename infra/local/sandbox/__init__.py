"""A stateful Telegram Bot API sandbox for integration tests and the local stack.

`Sandbox` holds the whole simulated Telegram (users, bots, chats, memberships, messages,
update queues) behind one lock; `SandboxServer` serves it over HTTP as a Bot API endpoint
(`/bot<token>/<method>`) plus a control API (`/_sandbox/<action>`).
"""

from infra.local.sandbox.errors import BotApiError, SandboxError
from infra.local.sandbox.sandbox import Sandbox
from infra.local.sandbox.server import SandboxServer

__all__ = ["BotApiError", "Sandbox", "SandboxError", "SandboxServer"]
