"""What operators see of parked stream records."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from chalicelib.live.stream import EVENTS_SOURCE
from chalicelib.store.ports import ParkedStore

MAX_PAGE = 100


def list_parked(
    parked: ParkedStore,
    *,
    bot_ids: Collection[int] | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    """One page of parked event records, newest first.

    Args:
        parked: the parked store.
        bot_ids: keep only records of these bots (an operator's own); None keeps all.
        limit: page size (1-100); filtering by ``bot_ids`` can make a page shorter.
        cursor: from the previous page.

    Returns:
        ``{"items": [{id, bot_id, event_id, reason, error, attempts, parked_at}],
        "cursor": str | None}``.
    """
    page = parked.list(EVENTS_SOURCE, limit=max(1, min(limit, MAX_PAGE)), cursor=cursor)
    wanted = None if bot_ids is None else {int(b) for b in bot_ids}
    items = []
    for record in page.items:
        image = (record.payload.get("dynamodb") or {}).get("NewImage") or {}
        bot_id = _number(image.get("bot_key"))
        if wanted is not None and bot_id not in wanted:
            continue
        items.append(
            {
                "id": record.parked_id,
                "bot_id": bot_id,
                "event_id": (image.get("event_id") or {}).get("S"),
                "reason": record.reason,
                "error": record.error,
                "attempts": record.attempts,
                "parked_at": record.parked_at,
            }
        )
    return {"items": items, "cursor": page.cursor}


def _number(attribute: Any) -> int | None:
    if not isinstance(attribute, dict):
        return None
    value = attribute.get("S") or attribute.get("N")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
