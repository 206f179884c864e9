"""A method result that also carries Telegram's `description` (e.g. "Webhook was set")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Described:
    result: Any
    description: str
