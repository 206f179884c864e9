"""Re-point every registered bot's webhook at the deployed REST API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.config import Settings


def repoint_webhooks(environ: Mapping[str, str], token_keys: str) -> dict[str, Any]:
    """Call ``setWebhook`` for every bot that is not removed, with the stage's settings.

    ``environ`` is the deployed stage's environment (what the functions run with); the
    keyring comes from SSM. One failing bot does not stop the others.
    """
    from chalicelib.bots import BotRegistry
    from chalicelib.crypto import Keyring
    from chalicelib.store.bundle import dynamo_stores
    from chalicelib.store.schema import bind
    from chalicelib.telegram.client import BotApi, new_http_client

    settings = Settings.from_env(environ)
    if not settings.public_base_url:
        return {"pointed": [], "failed": {}, "skipped": "no public URL"}
    stores = dynamo_stores(bind(settings))
    http = new_http_client()
    registry = BotRegistry(
        stores.bots,
        Keyring.from_spec(token_keys),
        lambda token: BotApi(token, http=http, base_url=settings.telegram_api_url),
        settings.webhook_url,
    )
    pointed: list[int] = []
    failed: dict[int, str] = {}
    try:
        for bot in stores.bots.list_all():
            if bot.status == "removed":
                continue
            try:
                registry.point_webhook(bot)
                pointed.append(bot.bot_id)
            except Exception as exc:  # report and go on: the others still need pointing
                failed[bot.bot_id] = type(exc).__name__
    finally:
        http.close()
    return {"pointed": pointed, "failed": failed}
