"""Count DynamoDB capacity through botocore's event hooks (no patching of Nezuko's code).

``provide-client-params.dynamodb.<op>`` asks for ``ReturnConsumedCapacity=TOTAL`` on every data
operation; ``after-call.dynamodb.<op>`` adds up what DynamoDB (Local) reports. Register it on
each client that talks to DynamoDB: the PynamoDB connections of the bound models and the boto3
client powertools Idempotency uses.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

READS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
_DATA_OPS = READS | WRITES


@dataclass
class Usage:
    """Capacity and call counts (a snapshot or a difference of two)."""

    rcu: float = 0.0
    wcu: float = 0.0
    read_calls: int = 0
    write_calls: int = 0
    errors: int = 0
    by_op: dict[str, int] = field(default_factory=dict)
    wcu_by_table: dict[str, float] = field(default_factory=dict)

    def minus(self, other: Usage) -> Usage:
        ops = {k: v - other.by_op.get(k, 0) for k, v in self.by_op.items()}
        tables = {k: v - other.wcu_by_table.get(k, 0.0) for k, v in self.wcu_by_table.items()}
        return Usage(
            self.rcu - other.rcu,
            self.wcu - other.wcu,
            self.read_calls - other.read_calls,
            self.write_calls - other.write_calls,
            self.errors - other.errors,
            {k: v for k, v in ops.items() if v},
            {k: v for k, v in tables.items() if v},
        )


class CapacityMeter:
    """Thread-safe totals of consumed capacity across every registered client."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._usage = Usage()
        self._clients: set[int] = set()

    def attach(self, client: Any) -> None:
        """Hook one botocore/boto3 DynamoDB client (idempotent)."""
        if id(client) in self._clients:
            return
        self._clients.add(id(client))
        events = client.meta.events
        events.register("provide-client-params.dynamodb.*", self._ask)
        events.register("after-call.dynamodb.*", self._count)

    def attach_tables(self, tables: Any) -> None:
        """Hook the PynamoDB connection of every model in a ``Tables`` bundle."""
        for model in vars(tables).values():
            connection = model._get_connection().connection
            self.attach(connection.client)

    def snapshot(self) -> Usage:
        with self._lock:
            u = self._usage
            return Usage(
                u.rcu,
                u.wcu,
                u.read_calls,
                u.write_calls,
                u.errors,
                dict(u.by_op),
                dict(u.wcu_by_table),
            )

    def _ask(self, params: dict[str, Any], model: Any, context: Any = None, **_: Any) -> None:
        if model.name in _DATA_OPS and "ReturnConsumedCapacity" not in params:
            params["ReturnConsumedCapacity"] = "TOTAL"
        if isinstance(context, dict):
            context["bench_table"] = str(params.get("TableName", "transaction"))

    def _count(
        self,
        http_response: Any,
        parsed: dict[str, Any],
        model: Any,
        context: Any = None,
        **_: Any,
    ) -> None:
        op = model.name
        if op not in _DATA_OPS:
            return
        consumed = parsed.get("ConsumedCapacity")
        items = consumed if isinstance(consumed, list) else [consumed] if consumed else []
        units = sum(float(c.get("CapacityUnits") or 0) for c in items)
        with self._lock:
            u = self._usage
            u.by_op[op] = u.by_op.get(op, 0) + 1
            if "Error" in parsed:
                u.errors += 1
            if op in READS:
                u.read_calls += 1
                u.rcu += units
            else:
                u.write_calls += 1
                u.wcu += units
                table = (context or {}).get("bench_table", "?").rsplit("-", 1)[-1]
                u.wcu_by_table[table] = u.wcu_by_table.get(table, 0.0) + units
