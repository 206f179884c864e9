"""One cold start, in a fresh interpreter: ``import app`` then the first two webhook deliveries
through the Chalice app as Lambda calls it (an API Gateway REST proxy event).

Prints one JSON line on stderr: import, first and second request times and log bytes each.
"""

from __future__ import annotations

import json
import os
import sys
import time

STARTED = time.perf_counter()


class _CountingStdout:
    """stdout that counts what the app logs (CloudWatch ingests exactly this)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        return len(text)

    def flush(self) -> None:
        return None


def _event(bot_id: str, secret: str, body: str) -> dict[str, object]:
    return {
        "resource": "/telegram/{bot_id}",
        "path": f"/telegram/{bot_id}",
        "httpMethod": "POST",
        "headers": {"content-type": "application/json", "x-telegram-bot-api-secret-token": secret},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"bot_id": bot_id},
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/telegram/{bot_id}",
            "httpMethod": "POST",
            "path": f"/api/telegram/{bot_id}",
            "stage": "api",
            "requestId": "bench",
            "identity": {"sourceIp": "149.154.167.200"},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def main() -> None:
    counter = _CountingStdout(sys.stdout)
    sys.stdout = counter  # type: ignore[assignment]
    t0 = time.perf_counter()
    import app as app_module
    from infra.local.lambda_runtime import FakeLambdaContext

    t_import = time.perf_counter() - t0
    bot_id, secret = os.environ["BENCH_BOT_ID"], os.environ["BENCH_SECRET"]
    bodies = json.loads(os.environ["BENCH_UPDATES"])
    times, logs, statuses = [], [], []
    for body in bodies:
        before = counter.bytes
        started = time.perf_counter()
        response = app_module.app(
            _event(bot_id, secret, body), FakeLambdaContext("nezuko-bench-api_handler")
        )
        times.append(time.perf_counter() - started)
        logs.append(counter.bytes - before)
        statuses.append(response["statusCode"])
    result = {
        "interpreter_to_main_s": t0 - STARTED,
        "import_s": t_import,
        "first_request_s": times[0],
        "second_request_s": times[1],
        "statuses": statuses,
        "log_bytes": logs,
    }
    print("BENCH-RESULT " + json.dumps(result), file=sys.stderr)


if __name__ == "__main__":
    main()
