"""Bind the models to a deployment and derive table definitions from them.

``bind`` gives each model a subclass carrying the physical table name, region and endpoint.
``table_definitions`` produces the CreateTable shape of every table from the same models;
the local stack creates tables from it and ``infra/aws`` renders it into CloudFormation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from pynamodb.models import Model

from chalicelib.config import Settings
from chalicelib.store import models as m

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Tables:
    """The models of one deployment, bound to its physical tables."""

    bots: type[m.BotModel]
    groups: type[m.GroupModel]
    links: type[m.LinkModel]
    members: type[m.MemberModel]
    events: type[m.EventModel]
    stats: type[m.StatModel]
    jobs: type[m.JobModel]
    connections: type[m.ConnectionModel]
    heartbeats: type[m.HeartbeatModel]
    idempotency: type[m.IdempotencyModel]
    auth: type[m.AuthModel]
    parked: type[m.ParkedModel]

    def all(self) -> tuple[type[Model], ...]:
        """Every bound model, in definition order."""
        return tuple(getattr(self, name) for name in self.__dataclass_fields__)


def _bind_one(model: type[M], settings: Settings) -> type[M]:
    base_meta = model.Meta
    meta_attrs: dict[str, Any] = {
        "table_name": settings.table_name(base_meta.table_name),
        "region": settings.aws_region,
        "host": settings.dynamodb_endpoint,
        "billing_mode": "PAY_PER_REQUEST",
        "connect_timeout_seconds": 2,
        "read_timeout_seconds": 5,
        "max_retry_attempts": 2,
    }
    if getattr(base_meta, "stream_view_type", None):
        meta_attrs["stream_view_type"] = base_meta.stream_view_type
    meta = type("Meta", (), meta_attrs)
    return cast(type[M], type(model.__name__, (model,), {"Meta": meta, "__module__": __name__}))


def bind(settings: Settings) -> Tables:
    """Bind every model to the tables of ``settings``' deployment."""
    return Tables(
        bots=_bind_one(m.BotModel, settings),
        groups=_bind_one(m.GroupModel, settings),
        links=_bind_one(m.LinkModel, settings),
        members=_bind_one(m.MemberModel, settings),
        events=_bind_one(m.EventModel, settings),
        stats=_bind_one(m.StatModel, settings),
        jobs=_bind_one(m.JobModel, settings),
        connections=_bind_one(m.ConnectionModel, settings),
        heartbeats=_bind_one(m.HeartbeatModel, settings),
        idempotency=_bind_one(m.IdempotencyModel, settings),
        auth=_bind_one(m.AuthModel, settings),
        parked=_bind_one(m.ParkedModel, settings),
    )


def _hash_first(keys: Any) -> list[dict[str, str]]:
    return sorted(keys, key=lambda k: k["KeyType"] != "HASH")


def table_definition(model: type[Model], table_name: str) -> dict[str, Any]:
    """The CreateTable request (plus ``TimeToLiveAttribute``) that ``model`` needs.

    Built from PynamoDB's own schema of the model, so the keys and indexes the code
    queries are exactly the ones the table has.
    """
    schema = model._get_schema()
    definition: dict[str, Any] = {
        "TableName": table_name,
        "KeySchema": _hash_first(schema["key_schema"]),
        "AttributeDefinitions": sorted(
            {d["AttributeName"]: d for d in schema["attribute_definitions"]}.values(),
            key=lambda d: d["AttributeName"],
        ),
        "BillingMode": "PAY_PER_REQUEST",
    }
    gsis = [
        {
            "IndexName": index["index_name"],
            "KeySchema": _hash_first(index["key_schema"]),
            "Projection": dict(index["projection"]),
        }
        for index in schema["global_secondary_indexes"]
    ]
    if gsis:
        definition["GlobalSecondaryIndexes"] = sorted(gsis, key=lambda g: g["IndexName"])
    stream = getattr(model.Meta, "stream_view_type", None)
    if stream:
        definition["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream}
    ttl = model._ttl_attribute()
    if ttl is not None:
        definition["TimeToLiveAttribute"] = ttl.attr_name
    return definition


def table_definitions(settings: Settings) -> list[dict[str, Any]]:
    """Definitions of every table of the deployment, from the models."""
    return [table_definition(model, model.Meta.table_name) for model in bind(settings).all()]


def ensure_tables(settings: Settings, client: Any = None, *, wait: float = 30.0) -> list[str]:
    """Create missing tables and switch on TTL; idempotent. Returns the tables it created.

    ``client`` is a boto3 DynamoDB client (built from ``settings`` when omitted).
    """
    if client is None:
        import boto3  # deferred: only the local stack and deploy tooling call this

        client = boto3.client(
            "dynamodb", region_name=settings.aws_region, endpoint_url=settings.dynamodb_endpoint
        )
    existing: set[str] = set()
    for page in client.get_paginator("list_tables").paginate():
        existing.update(page["TableNames"])
    created: list[str] = []
    for definition in table_definitions(settings):
        request = {k: v for k, v in definition.items() if k != "TimeToLiveAttribute"}
        name = request["TableName"]
        if name not in existing:
            client.create_table(**request)
            created.append(name)
    deadline = time.monotonic() + wait
    for definition in table_definitions(settings):
        name = definition["TableName"]
        while client.describe_table(TableName=name)["Table"]["TableStatus"] != "ACTIVE":
            if time.monotonic() > deadline:
                raise TimeoutError(f"table {name} did not become ACTIVE")
            time.sleep(0.1)
        ttl_name = definition.get("TimeToLiveAttribute")
        if ttl_name:
            current = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
                client.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_name},
                )
    return created
