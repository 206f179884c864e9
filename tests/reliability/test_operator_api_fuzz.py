"""The operator API under schemathesis (its own OpenAPI document): never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from chalicelib.config import Settings
from tests.reliability.stack import ORIGIN, AppStack, app_stack

pytestmark = pytest.mark.integration
EXAMPLES = 20  # per operation: modest for two cores


@pytest.fixture(scope="module")
def api(ddb_settings: Settings) -> Iterator[AppStack]:
    with app_stack(ddb_settings) as stack:
        yield stack


def test_no_operator_api_call_gets_a_5xx(api: AppStack) -> None:
    # schemathesis' own pytest plugin does not run under pytest 9 ('Function' has no
    # '_nodeid'): drive its per-operation Hypothesis strategies directly instead.
    schema = schemathesis.openapi.from_url(f"{api.rest.url}/api/openapi.json")
    failures: list[tuple[Any, ...]] = []
    statuses: list[int] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case: Any) -> None:
            headers = {"Origin": ORIGIN, **(case.headers or {})}
            # a fresh session per case: the logout operation revokes the one it is given
            headers["Authorization"] = f"Bearer {api.session()}"
            response = case.call(base_url=api.rest.url, headers=headers, timeout=30)
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append(
                    (
                        case.method,
                        case.path,
                        case.path_parameters,
                        case.query,
                        case.body,
                        response.status_code,
                        response.text[:300],
                    )
                )

        call()
    assert operations >= 20
    assert failures == []
