"""The stream pump delivers DynamoDB Local stream records as Lambda's event source mapping does."""

import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.local.dynamodb import DynamoDBLocal
from infra.local.lambda_runtime import handler_for, stream_sources
from infra.local.stream_pump import StreamPump

from .demo_app import build_app
from .waiting import eventually


class RecordingHandler:
    """A stream handler that records batches and fails as told."""

    def __init__(self) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.fail_on: set[str] = set()  # item "pk" values to report as failed
        self.raise_times = 0

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        records = event["Records"]
        self.batches.append(records)
        if self.raise_times:
            self.raise_times -= 1
            raise RuntimeError("handler blew up")
        failures = [
            {"itemIdentifier": r["dynamodb"]["SequenceNumber"]}
            for r in records
            if r["dynamodb"]["Keys"]["pk"]["S"] in self.fail_on
        ]
        return {"batchItemFailures": failures}

    def keys(self, batch: int) -> list[str]:
        return [r["dynamodb"]["Keys"]["pk"]["S"] for r in self.batches[batch]]

    def all_keys(self) -> list[str]:
        return [key for index in range(len(self.batches)) for key in self.keys(index)]


@pytest.fixture
def table(dynamodb_local: DynamoDBLocal) -> Any:
    resource = boto3.resource(
        "dynamodb",
        endpoint_url=dynamodb_local.endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    table = resource.create_table(
        TableName=f"pump-{uuid.uuid4().hex[:8]}",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    yield table
    table.delete()


def drain(pump: StreamPump) -> None:
    for _ in range(20):
        if pump.pump_once() == 0 and pump.pump_once() == 0:
            return
    raise AssertionError("pump never drained")


def test_pump_delivers_insert_modify_remove_to_the_apps_handler_in_lambda_shape(
    dynamodb_local: DynamoDBLocal, table: Any
) -> None:
    app, seen = build_app()
    source = stream_sources(app)[0]
    pump = StreamPump(
        dynamodb_local.endpoint, table.name, handler_for(app, source.name), batch_size=10
    )
    pump.pump_once()
    table.put_item(Item={"pk": "a", "n": 1, "blob": b"\x00\x01"})
    table.put_item(Item={"pk": "a", "n": 2, "blob": b"\x00\x01"})
    table.delete_item(Key={"pk": "a"})

    drain(pump)

    records = [r for event in seen.stream_events for r in event["Records"]]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = records
    assert insert["eventSource"] == "aws:dynamodb"
    assert insert["eventVersion"] == "1.1"
    assert insert["awsRegion"] == "us-east-1"
    assert insert["eventSourceARN"] == table.latest_stream_arn
    assert isinstance(insert["dynamodb"]["ApproximateCreationDateTime"], int | float)
    assert insert["dynamodb"]["Keys"] == {"pk": {"S": "a"}}
    assert insert["dynamodb"]["NewImage"] == {
        "pk": {"S": "a"},
        "n": {"N": "1"},
        "blob": {"B": "AAE="},
    }
    assert insert["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert modify["dynamodb"]["OldImage"]["n"] == {"N": "1"}
    assert modify["dynamodb"]["NewImage"]["n"] == {"N": "2"}
    assert "NewImage" not in remove["dynamodb"]
    assert remove["dynamodb"]["OldImage"]["n"] == {"N": "2"}
    assert int(insert["dynamodb"]["SequenceNumber"]) < int(modify["dynamodb"]["SequenceNumber"])


def test_pump_redelivers_from_the_first_failed_record_and_not_before_it(
    dynamodb_local: DynamoDBLocal, table: Any
) -> None:
    handler = RecordingHandler()
    pump = StreamPump(dynamodb_local.endpoint, table.name, handler, batch_size=10)
    pump.pump_once()
    for key in ["a", "b", "c", "d"]:
        table.put_item(Item={"pk": key})
    handler.fail_on = {"c"}

    pump.pump_once()
    handler.fail_on = set()
    pump.pump_once()

    assert handler.keys(0) == ["a", "b", "c", "d"]
    assert handler.keys(1) == ["c", "d"]
    assert pump.pump_once() == 0


def test_pump_redelivers_the_whole_batch_when_the_handler_raises(
    dynamodb_local: DynamoDBLocal, table: Any
) -> None:
    handler = RecordingHandler()
    pump = StreamPump(dynamodb_local.endpoint, table.name, handler, batch_size=10)
    pump.pump_once()
    table.put_item(Item={"pk": "a"})
    table.put_item(Item={"pk": "b"})
    handler.raise_times = 1

    drain(pump)

    assert handler.all_keys() == ["a", "b", "a", "b"]


def test_pump_skips_a_poison_record_after_max_attempts(
    dynamodb_local: DynamoDBLocal, table: Any
) -> None:
    handler = RecordingHandler()
    pump = StreamPump(dynamodb_local.endpoint, table.name, handler, max_attempts=3)
    pump.pump_once()
    for key in ["a", "poison", "b"]:
        table.put_item(Item={"pk": key})
    handler.fail_on = {"poison"}

    drain(pump)

    assert handler.all_keys() == ["a", "poison", "b", "poison", "b", "poison", "b", "b"]


def test_pump_resumes_from_its_checkpoint_after_a_restart(
    dynamodb_local: DynamoDBLocal, table: Any, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "streams" / "checkpoint.json"
    first = RecordingHandler()
    pump = StreamPump(dynamodb_local.endpoint, table.name, first, checkpoint_path=checkpoint)
    pump.start()
    table.put_item(Item={"pk": "before-1"})
    table.put_item(Item={"pk": "before-2"})
    eventually(lambda: len(first.all_keys()) == 2, timeout=10)
    pump.stop()
    table.put_item(Item={"pk": "while-stopped"})

    second = RecordingHandler()
    restarted = StreamPump(dynamodb_local.endpoint, table.name, second, checkpoint_path=checkpoint)
    drain(restarted)

    assert first.all_keys() == ["before-1", "before-2"]
    assert second.all_keys() == ["while-stopped"]


def test_pump_starting_at_latest_skips_what_the_stream_already_holds(
    dynamodb_local: DynamoDBLocal, table: Any, tmp_path: Path
) -> None:
    table.put_item(Item={"pk": "old"})
    handler = RecordingHandler()
    pump = StreamPump(
        dynamodb_local.endpoint, table.name, handler, checkpoint_path=tmp_path / "cp.json"
    )

    pump.pump_once()
    table.put_item(Item={"pk": "new"})
    drain(pump)

    assert handler.all_keys() == ["new"]


def test_pump_starting_at_trim_horizon_delivers_what_the_stream_already_holds(
    dynamodb_local: DynamoDBLocal, table: Any
) -> None:
    table.put_item(Item={"pk": "old"})
    handler = RecordingHandler()
    pump = StreamPump(
        dynamodb_local.endpoint, table.name, handler, starting_position="TRIM_HORIZON"
    )

    drain(pump)

    assert handler.all_keys() == ["old"]


def test_pump_keeps_delivering_when_another_tables_stream_moves_first(
    dynamodb_local: DynamoDBLocal, table: Any, tmp_path: Path
) -> None:
    # Given a pump that started on an empty stream (DynamoDB Local shares sequence numbers
    # between tables with -sharedDb, which used to make its iterator "trimmed" for ever)
    other = table.meta.client.create_table(
        TableName=f"other-{uuid.uuid4().hex[:8]}",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["TableName"]
    handler = RecordingHandler()
    pump = StreamPump(
        dynamodb_local.endpoint, table.name, handler, checkpoint_path=tmp_path / "cp.json"
    )
    pump.pump_once()
    # When another table's stream gets records first, then ours
    for i in range(30):
        table.meta.client.put_item(TableName=other, Item={"pk": f"x{i}"})
    pump.pump_once()
    table.put_item(Item={"pk": "ours"})
    drain(pump)
    # Then our record still arrives
    assert handler.all_keys() == ["ours"]
    table.meta.client.delete_table(TableName=other)
