"""All stores of one deployment, built together."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.store import dynamo, memory
from chalicelib.store.ports import (
    AuthStore,
    BotStore,
    ConnectionStore,
    EventStore,
    GroupStore,
    HeartbeatStore,
    JobStore,
    LinkStore,
    MemberStore,
    ParkedStore,
    StatStore,
)
from chalicelib.store.schema import Tables


@dataclass(frozen=True)
class Stores:
    """Every store the domain uses."""

    bots: BotStore
    groups: GroupStore
    links: LinkStore
    members: MemberStore
    events: EventStore
    jobs: JobStore
    connections: ConnectionStore
    heartbeats: HeartbeatStore
    auth: AuthStore
    stats: StatStore
    parked: ParkedStore


def dynamo_stores(tables: Tables) -> Stores:
    """Stores over DynamoDB tables."""
    return Stores(
        bots=dynamo.DynamoBotStore(tables),
        groups=dynamo.DynamoGroupStore(tables),
        links=dynamo.DynamoLinkStore(tables),
        members=dynamo.DynamoMemberStore(tables),
        events=dynamo.DynamoEventStore(tables),
        jobs=dynamo.DynamoJobStore(tables),
        connections=dynamo.DynamoConnectionStore(tables),
        heartbeats=dynamo.DynamoHeartbeatStore(tables),
        auth=dynamo.DynamoAuthStore(tables),
        stats=dynamo.DynamoStatStore(tables),
        parked=dynamo.DynamoParkedStore(tables),
    )


def memory_stores() -> Stores:
    """Stores in memory (tests and fakes)."""
    return Stores(
        bots=memory.MemoryBotStore(),
        groups=memory.MemoryGroupStore(),
        links=memory.MemoryLinkStore(),
        members=memory.MemoryMemberStore(),
        events=memory.MemoryEventStore(),
        jobs=memory.MemoryJobStore(),
        connections=memory.MemoryConnectionStore(),
        heartbeats=memory.MemoryHeartbeatStore(),
        auth=memory.MemoryAuthStore(),
        stats=memory.MemoryStatStore(),
        parked=memory.MemoryParkedStore(),
    )
