"""DynamoDB Local starts, persists and stops cleanly, and fails early with the fix named."""

import socket
import time
from pathlib import Path

import boto3
import pytest

from infra.local.dynamodb import DynamoDBLocal, ensure_jar, java_major_version
from infra.local.errors import LocalStackError
from infra.local.ports import free_port, port_is_free

from .conftest import DYNAMODB_CACHE


def java_processes_on_port(port: int) -> list[int]:
    """Pids of running DynamoDB Local JVMs started with ``-port {port}``."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"DynamoDBLocal.jar" in b" ".join(argv) and str(port).encode() in argv:
            pids.append(int(proc.name))
    return pids


def process_exists(pid: int) -> bool:
    try:
        status = (Path("/proc") / str(pid) / "status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


def table_names(endpoint: str) -> list[str]:
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    names: list[str] = client.list_tables()["TableNames"]
    return names


def test_ensure_jar_is_instant_when_the_jar_is_cached() -> None:
    ensure_jar(DYNAMODB_CACHE)

    started = time.monotonic()
    jar_dir = ensure_jar(DYNAMODB_CACHE)

    assert time.monotonic() - started < 0.05
    assert (jar_dir / "DynamoDBLocal.jar").is_file()


def test_taken_port_is_refused_before_any_jvm_starts() -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        server = DynamoDBLocal(ensure_jar(DYNAMODB_CACHE), port=port)

        with pytest.raises(LocalStackError, match=f"port {port} is in use"):
            server.start()

        assert server.pid is None
        assert java_processes_on_port(port) == []


def test_unwritable_data_dir_is_refused_naming_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    server = DynamoDBLocal(ensure_jar(DYNAMODB_CACHE), data_dir=blocker / "db")

    with pytest.raises(LocalStackError, match=str(blocker / "db")):
        server.start()

    assert server.pid is None


def test_missing_java_is_reported_with_the_install_command() -> None:
    with pytest.raises(LocalStackError, match="apt-get install -y openjdk-17-jre-headless"):
        java_major_version("java-that-does-not-exist")


def test_data_dir_survives_a_restart_and_stop_leaves_no_process(tmp_path: Path) -> None:
    jar_dir = ensure_jar(DYNAMODB_CACHE)
    data_dir = tmp_path / "ddb"
    port = free_port()

    with DynamoDBLocal(jar_dir, port=port, data_dir=data_dir) as first:
        first_pid = first.pid
        boto3.client(
            "dynamodb",
            endpoint_url=first.endpoint,
            region_name="eu-west-1",
            aws_access_key_id="someone",
            aws_secret_access_key="x",
        ).create_table(
            TableName="kept",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    assert first_pid is not None and not process_exists(first_pid)
    assert port_is_free(port)

    with DynamoDBLocal(jar_dir, port=port, data_dir=data_dir) as second:
        second_pid = second.pid
        names = table_names(second.endpoint)

    assert names == ["kept"]
    assert second_pid is not None and not process_exists(second_pid)
    assert java_processes_on_port(port) == []
