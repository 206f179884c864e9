"""Opaque cursors for lists we page in memory (bots, groups, channels)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar

from chalicelib.errors import InvalidInput

T = TypeVar("T")


def encode_cursor(value: str) -> str:
    """URL-safe, unpadded base64 of ``value``."""
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """Inverse of ``encode_cursor``; ``InvalidInput`` for anything else."""
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput("cursor is not valid", field="cursor") from None


def paginate(
    items: Sequence[T], key: Callable[[T], tuple[int, ...]], *, limit: int, cursor: str | None
) -> tuple[list[T], str | None]:
    """One page of ``items`` (sorted by ``key``) after ``cursor``, and the next cursor."""
    ordered = sorted(items, key=key)
    if cursor:
        try:
            after = tuple(int(part) for part in decode_cursor(cursor).split(":"))
        except ValueError:
            raise InvalidInput("cursor is not valid", field="cursor") from None
        ordered = [item for item in ordered if key(item) > after]
    page = ordered[:limit]
    more = len(ordered) > limit
    next_cursor = encode_cursor(":".join(str(p) for p in key(page[-1]))) if more else None
    return page, next_cursor
