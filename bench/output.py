"""Keep the app's own log lines out of the bench's table while counting their bytes."""

from __future__ import annotations

import sys
from typing import Any


class CountingStream:
    """A text stream that swallows writes and counts their UTF-8 bytes."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        return len(text)

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False


def real_stdout() -> Any:
    return sys.__stdout__
