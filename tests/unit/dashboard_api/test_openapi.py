"""The OpenAPI document is generated from the route table and is self-consistent."""

from __future__ import annotations

import json
import re

import app  # noqa: F401  (registers the blueprint's routes)
from chalicelib.dashboard_api.openapi import document
from chalicelib.dashboard_api.routes import OPERATIONS


def test_every_route_is_documented_and_every_reference_resolves() -> None:
    doc = document(OPERATIONS)
    text = json.dumps(doc)

    documented = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    assert documented == {(op.method, op.path) for op in OPERATIONS}
    for ref in set(re.findall(r'"#/components/schemas/([^"]+)"', text)):
        assert ref in doc["components"]["schemas"], ref


def test_private_routes_require_a_bearer_token_and_sign_in_routes_do_not() -> None:
    doc = document(OPERATIONS)

    assert "security" not in doc["paths"]["/api/auth/magic"]["post"]
    assert doc["paths"]["/api/bots"]["get"]["security"] == [{"bearer": []}]
