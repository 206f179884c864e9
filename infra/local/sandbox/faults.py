"""Fault injection: the next N calls of a method answer with an error instead of running."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any


@dataclass
class Fault:
    method: str  # lower-cased Bot API method name, or "*" for any
    error: str
    times: int = 1
    retry_after: int = 3
    chat_id: int | str | None = None
    description: str | None = None

    @property
    def is_timeout(self) -> bool:
        return self.error == "timeout"

    def response(self) -> tuple[int, dict[str, Any]]:
        """The (HTTP status, body) Telegram would answer with."""
        code, description, parameters = self._shape()
        body: dict[str, Any] = {
            "ok": False,
            "error_code": code,
            "description": self.description or description,
        }
        if parameters:
            body["parameters"] = parameters
        return code, body

    def _shape(self) -> tuple[int, str, dict[str, Any] | None]:
        error = self.error
        if error == "429":
            return (
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                {"retry_after": self.retry_after},
            )
        if error == "timeout":  # the client has given up by the time this arrives
            return 504, "Gateway Timeout", None
        if error == "forbidden":
            return 403, "Forbidden: bot is not a member of the channel chat", None
        if error.isdigit():
            code = int(error)
            try:
                phrase = HTTPStatus(code).phrase
            except ValueError:
                phrase = "Error"
            return code, phrase, None
        return 400, f"Bad Request: {error}", None


class FaultBook:
    """Pending faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def take(self, method: str, chat_id: object) -> Fault | None:
        for fault in self._faults:
            if fault.method not in (method.lower(), "*"):
                continue
            if fault.chat_id is not None and str(fault.chat_id) != str(chat_id):
                continue
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            return fault
        return None

    def clear(self) -> None:
        self._faults.clear()
