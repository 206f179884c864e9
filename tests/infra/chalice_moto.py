"""Run the Chalice CLI against moto server: TEST-ONLY shims, never used by the product.

moto 5.2.5 cannot take what Chalice 1.34 sends in four places: its REST API import wants
``info.description``, an OpenAPI 3 document and a ``uri``/``httpMethod`` on every integration
(Chalice's CORS ``mock`` integrations have neither), and it has no websocket
``CreateDeployment``. These shims adapt Chalice's AWS client (third-party code) so the
deploy flow can be rehearsed; on AWS none of this exists.

Usage (what ``infra.aws.project.run_chalice`` gets as its command prefix)::

    python tests/infra/chalice_moto.py --project-dir DIR deploy --stage dev
"""

from __future__ import annotations

import copy
import sys
from typing import Any

from chalice import awsclient
from chalice.cli import main


def _moto_document(document: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    doc.setdefault("info", {}).setdefault("description", "nezuko (rehearsal)")
    if doc.pop("swagger", None):
        doc["openapi"] = "3.0.1"
    for methods in doc.get("paths", {}).values():
        for method in methods.values():
            integration = (
                method.get("x-amazon-apigateway-integration") if isinstance(method, dict) else None
            )
            if integration is not None:  # CORS mock integrations have neither (moto needs both)
                integration.setdefault("uri", "")
                integration.setdefault("httpMethod", "POST")
    return doc


_import = awsclient.TypedAWSClient.import_rest_api
_update = awsclient.TypedAWSClient.update_api_from_swagger
_deploy_ws = awsclient.TypedAWSClient.deploy_websocket_api


def import_rest_api(self: Any, swagger_document: dict[str, Any], endpoint_type: str) -> str:
    return _import(self, _moto_document(swagger_document), endpoint_type)


def update_api_from_swagger(self: Any, rest_api_id: str, swagger_document: dict[str, Any]) -> None:
    _update(self, rest_api_id, _moto_document(swagger_document))


def deploy_websocket_api(self: Any, api_id: str) -> str:
    try:
        return _deploy_ws(self, api_id)
    except Exception as exc:  # moto has no apigatewayv2 CreateDeployment: its server 404s
        if "(404)" in str(exc) or "not implemented" in str(exc).lower():
            return "rehearsal-deployment"
        raise


awsclient.TypedAWSClient.import_rest_api = import_rest_api  # type: ignore[method-assign]
awsclient.TypedAWSClient.update_api_from_swagger = update_api_from_swagger  # type: ignore[method-assign]
awsclient.TypedAWSClient.deploy_websocket_api = deploy_websocket_api  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.argv[0] = "chalice"
    sys.exit(main())
