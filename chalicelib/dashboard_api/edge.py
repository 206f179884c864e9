"""The HTTP edge of the operator API: parsing, the one error mapping, CORS, headers.

Every domain error becomes ``{"error": {"code", "message"}}`` here and nowhere else; an
error we did not expect is logged and answered as a plain 500 without details.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from chalice import Response
from pydantic import BaseModel, ValidationError

from chalicelib.edges import error_body
from chalicelib.errors import (
    InvalidInput,
    NezukoError,
    NotFound,
    RateLimited,
    TransientError,
    Unauthorized,
)
from chalicelib.telegram.errors import BotApiError, TelegramRateLimited

M = TypeVar("M", bound=BaseModel)

MAX_BODY = 16 * 1024
_PATH_INT = re.compile(r"^-?\d{1,20}$")
ALLOWED_HEADERS = "Authorization, Content-Type"
EXPOSED_HEADERS = "Retry-After, X-Next-Cursor, X-Rows"


class Internal(NezukoError):
    """Something failed that the caller cannot fix; details stay in our logs."""


def parse_body(raw: bytes | str | None, model: type[M]) -> M:
    """A JSON request body validated by ``model``; ``InvalidInput`` for anything else."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if not raw:
        raise InvalidInput("send a JSON object as the request body")
    if len(raw) > MAX_BODY:
        raise InvalidInput(f"the request body is larger than {MAX_BODY // 1024} KB")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidInput("the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidInput("the request body must be a JSON object")
    return validate(model, data)


def parse_query(params: Mapping[str, str] | None, model: type[M]) -> M:
    """Query-string parameters validated by ``model`` (unknown names are errors)."""
    values = {key: params[key] for key in params} if params else {}
    return validate(model, values)


def validate(model: type[M], data: object) -> M:
    """``model`` from ``data``; the first problem, with its field name, as ``InvalidInput``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise InvalidInput(f"{field}: {first['msg']}", field=field) from None


def path_int(value: str, name: str) -> int:
    """An integer path parameter; anything else names nothing that exists."""
    if not _PATH_INT.match(value or ""):
        raise NotFound(f"{name} {value[:30]!r} not found")
    return int(value)


def error_response(exc: NezukoError) -> Response:
    """The one mapping from domain errors to HTTP responses."""
    status = exc.http_status
    shown: NezukoError = exc
    headers: dict[str, str] = {}
    if isinstance(exc, BotApiError):
        status = 502  # Telegram refused: its description says why, and holds no token.
    elif status >= 500 and not isinstance(exc, TransientError):
        shown = Internal("internal error")
    if isinstance(exc, RateLimited | TelegramRateLimited):
        headers["Retry-After"] = str(max(1, int(exc.retry_after + 0.999)))
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer realm="nezuko"'
    return json_response(error_body(shown), status=status, headers=headers)


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response that no cache keeps."""
    return Response(
        body=body,
        status_code=status,
        headers={
            "Content-Type": "application/json",
            "Cache-Control": "no-store",
            **(headers or {}),
        },
    )


def cors_headers(allowed_origin: str, request_origin: str | None) -> dict[str, str]:
    """CORS headers for the dashboard's origin only (nothing for any other origin)."""
    if allowed_origin == "*":
        origin = "*"
    elif request_origin and request_origin.rstrip("/") == allowed_origin.rstrip("/"):
        origin = allowed_origin.rstrip("/")
    else:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": EXPOSED_HEADERS,
        "Vary": "Origin",
    }


def preflight_headers(
    allowed_origin: str, request_origin: str | None, methods: str
) -> dict[str, str]:
    """Headers of an OPTIONS answer for the dashboard's origin."""
    headers = cors_headers(allowed_origin, request_origin)
    if headers:
        headers.update(
            {
                "Access-Control-Allow-Methods": methods,
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": "600",
            }
        )
    return headers


def client_ip(context: Mapping[str, Any] | None) -> str:
    """The caller's address as API Gateway saw it (never a client-supplied header)."""
    identity = (context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
