"""DynamoDB Local (Amazon's own engine) for the local stack: fetch the jar, start, wait, stop.

The jar comes from the npm package ``amplify-dynamodb-simulator`` (``npm pack`` + extract of
``package/emulator/`` only: 57 MB in ~2 s, where ``npm install`` pulls 347 MB). The JVM runs in
its own process group so ``stop()`` leaves no orphan behind.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path
from types import TracebackType

import botocore.config
import botocore.session

from infra.local.errors import LocalStackError
from infra.local.ports import free_port, require_free_port

logger = logging.getLogger(__name__)

NPM_PACKAGE = "amplify-dynamodb-simulator"
JAR_NAME = "DynamoDBLocal.jar"
MIN_JAVA = 11
FAST_JVM_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
_EMULATOR_PREFIX = "package/emulator/"


def ensure_jar(cache_dir: Path, *, package: str = NPM_PACKAGE) -> Path:
    """Make sure ``cache_dir/emulator/DynamoDBLocal.jar`` exists; return ``cache_dir/emulator``.

    Idempotent: when the jar is there this returns at once. Otherwise it runs ``npm pack`` in a
    temporary directory and extracts only ``package/emulator/`` (with tarfile's ``data`` filter:
    no absolute paths, no ``..``, no links out of the tree), then moves it into place in one
    rename so a crash never leaves a half-extracted emulator that looks complete.
    """
    emulator_dir = cache_dir / "emulator"
    if (emulator_dir / JAR_NAME).is_file():
        return emulator_dir
    npm = shutil.which("npm")
    if npm is None:
        raise LocalStackError("npm is required to fetch DynamoDB Local: install Node.js 20+")
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".fetch-") as tmp:
        tarball = _npm_pack(npm, package, Path(tmp))
        staging = Path(tmp) / "extracted"
        with tarfile.open(tarball, "r:gz") as archive:
            members = [m for m in archive.getmembers() if m.name.startswith(_EMULATOR_PREFIX)]
            if not members:
                raise LocalStackError(
                    f"{package} has no {_EMULATOR_PREFIX}: pin a version that does"
                )
            archive.extractall(staging, members=members, filter="data")
        extracted = staging / _EMULATOR_PREFIX
        if not (extracted / JAR_NAME).is_file():
            raise LocalStackError(f"{package} ships no {JAR_NAME}: pin a version that does")
        try:
            extracted.rename(emulator_dir)
        except OSError:
            # Another process won the race (or a stale partial directory is in the way).
            if not (emulator_dir / JAR_NAME).is_file():
                shutil.rmtree(emulator_dir, ignore_errors=True)
                extracted.rename(emulator_dir)
    return emulator_dir


def _npm_pack(npm: str, package: str, workdir: Path) -> Path:
    result = subprocess.run(
        [npm, "pack", package, "--silent"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    tarballs = sorted(workdir.glob("*.tgz"))
    if result.returncode != 0 or not tarballs:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise LocalStackError(f"npm pack {package} failed ({detail[0]}): check network/registry")
    return tarballs[0]


def java_major_version(java: str = "java") -> int:
    """Return the major version of ``java`` (8 for ``1.8.0_x``), or raise if it is missing."""
    executable = shutil.which(java)
    if executable is None:
        raise LocalStackError(
            "Java 11+ is required for DynamoDB Local: apt-get install -y openjdk-17-jre-headless"
        )
    result = subprocess.run(
        [executable, "-version"], capture_output=True, text=True, timeout=30, check=False
    )
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if match is None:
        raise LocalStackError(f"cannot read the version of {executable}: install Java 17")
    major = int(match.group(1))
    if major == 1 and match.group(2) is not None:
        major = int(match.group(2))
    return major


class DynamoDBLocal:
    """One DynamoDB Local JVM, usable as a context manager.

    Args:
        jar_dir: directory holding ``DynamoDBLocal.jar`` and ``DynamoDBLocal_lib`` (see
            :func:`ensure_jar`).
        port: TCP port; ``None`` picks a free one.
        data_dir: persistent database directory (``-dbPath``); ``None`` runs ``-inMemory``.
        fast_jvm: start with C1 only and the serial GC (~25% faster to ready, fine for tests).
        log_path: where the JVM's stdout/stderr go; ``None`` uses a temporary file.
        ready_timeout: seconds to wait for ListTables to answer.
    """

    def __init__(
        self,
        jar_dir: Path,
        *,
        port: int | None = None,
        data_dir: Path | None = None,
        fast_jvm: bool = True,
        log_path: Path | None = None,
        ready_timeout: float = 60.0,
    ) -> None:
        self.jar_dir = jar_dir.resolve()
        self._requested_port = port
        self.port = port if port is not None else 0
        self.data_dir = data_dir.resolve() if data_dir is not None else None
        self.fast_jvm = fast_jvm
        self.log_path = log_path
        self.ready_timeout = ready_timeout
        self.startup_seconds: float | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._owned_log: Path | None = None

    @property
    def endpoint(self) -> str:
        """The URL to give boto3/PynamoDB as ``endpoint_url``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The JVM's process id while it runs."""
        return self._process.pid if self._process is not None else None

    def command(self) -> list[str]:
        """The exact ``java`` command line this instance runs."""
        jvm_flags = list(FAST_JVM_FLAGS) if self.fast_jvm else []
        storage = ["-dbPath", str(self.data_dir)] if self.data_dir is not None else ["-inMemory"]
        return [
            "java",
            *jvm_flags,
            f"-Djava.library.path={self.jar_dir / 'DynamoDBLocal_lib'}",
            "-jar",
            str(self.jar_dir / JAR_NAME),
            "-sharedDb",
            "-port",
            str(self.port),
            *storage,
        ]

    def start(self) -> DynamoDBLocal:
        """Check prerequisites, start the JVM and return once ListTables answers.

        Every check that can fail runs before the JVM starts; if the JVM dies or never gets
        ready it is killed and the error carries the tail of its log.
        """
        if self._process is not None:
            return self
        self._check_prerequisites()
        started = time.monotonic()
        log_path = self._log_path()
        with log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self.command(),
                cwd=self.jar_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_until_ready(log_path)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        logger.info("DynamoDB Local ready on %s in %.2fs", self.endpoint, self.startup_seconds)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the JVM's process group, SIGKILL it if it lingers, and reap it."""
        process, self._process = self._process, None
        if process is None:
            return
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait(timeout=timeout)
        if self._owned_log is not None:
            self._owned_log.unlink(missing_ok=True)
            self._owned_log = None

    def __enter__(self) -> DynamoDBLocal:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _check_prerequisites(self) -> None:
        major = java_major_version()
        if major < MIN_JAVA:
            raise LocalStackError(
                f"Java {major} is too old for DynamoDB Local (needs {MIN_JAVA}+): "
                "apt-get install -y openjdk-17-jre-headless"
            )
        if not (self.jar_dir / JAR_NAME).is_file():
            raise LocalStackError(
                f"{self.jar_dir / JAR_NAME} is missing: run infra.local.dynamodb.ensure_jar"
            )
        if self._requested_port is None:
            self.port = free_port()
        else:
            require_free_port(self._requested_port, setting="NEZUKO_DDB_PORT")
        if self.data_dir is not None:
            _check_writable_dir(self.data_dir)

    def _log_path(self) -> Path:
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            return self.log_path
        handle, name = tempfile.mkstemp(prefix="dynamodb-local-", suffix=".log")
        os.close(handle)
        self._owned_log = Path(name)
        return self._owned_log

    def _wait_until_ready(self, log_path: Path) -> None:
        client = botocore.session.get_session().create_client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local ignores credentials
            config=botocore.config.Config(
                connect_timeout=0.5, read_timeout=2, retries={"max_attempts": 0}
            ),
        )
        deadline = time.monotonic() + self.ready_timeout
        while True:
            assert self._process is not None
            code = self._process.poll()
            if code is not None:
                raise LocalStackError(f"DynamoDB Local exited with code {code}: {_tail(log_path)}")
            try:
                client.list_tables(Limit=1)
                return
            except Exception:  # not listening yet: connection refused/reset
                if time.monotonic() > deadline:
                    raise LocalStackError(
                        f"DynamoDB Local not ready after {self.ready_timeout:.0f}s: "
                        f"{_tail(log_path)}"
                    ) from None
                time.sleep(0.05)


def _check_writable_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".nezuko-write-probe"
        probe.write_bytes(b"")
        probe.unlink()
        list(path.iterdir())
    except OSError as exc:
        raise LocalStackError(
            f"DynamoDB Local data directory {path} is not readable/writable "
            f"({exc.strerror}): fix its permissions or choose another directory"
        ) from exc


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def _tail(log_path: Path, lines: int = 15) -> str:
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    tail = " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])
    return tail or "(empty log)"
