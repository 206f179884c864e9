"""Errors: `SandboxError` for scripting misuse or refusals, `BotApiError` for Bot API answers."""

from __future__ import annotations

from typing import Any


class SandboxError(Exception):
    """A scripting call the sandbox (or Telegram) refuses, e.g. a restricted user posting."""


class BotApiError(Exception):
    """A Bot API error answer: `{"ok": false, "error_code": ..., "description": ...}`."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{error_code} {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str, parameters: dict[str, Any] | None = None) -> BotApiError:
    return BotApiError(400, f"Bad Request: {reason}", parameters)


def forbidden(reason: str) -> BotApiError:
    return BotApiError(403, f"Forbidden: {reason}")


def chat_not_found() -> BotApiError:
    return bad_request("chat not found")
