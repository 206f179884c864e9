"""The dashboard: build it, write its ``config.json``, upload to S3, invalidate CloudFront."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from infra.aws.naming import ROOT
from infra.local.static import content_type

NO_CACHE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
#: Vite-style content hashes: ``index-3f9c2a1b.js`` / ``index-BkX8aQ2z.css``.
_HASHED = re.compile(r"[.-][A-Za-z0-9_-]{8,}\.[a-z0-9]+$")
PLACEHOLDER = (
    "<!doctype html><meta charset=utf-8><title>Nezuko</title>"
    "<p>The dashboard has not been built yet (dashboard/package.json is missing).</p>"
)


def dashboard_config(
    *, api_url: str, websocket_url: str, stage: str, login_bot_username: str = ""
) -> dict[str, str]:
    """What the dashboard reads from ``/config.json``."""
    return {
        "apiUrl": api_url.rstrip("/"),
        "websocketUrl": websocket_url.rstrip("/"),
        "loginBotUsername": login_bot_username,
        "stage": stage,
    }


def build_dashboard(root: Path = ROOT, run: Callable[..., Any] = subprocess.run) -> Path | None:
    """``npm ci`` + ``npm run build`` in ``dashboard/``; None when there is no dashboard yet."""
    dashboard = root / "dashboard"
    if not (dashboard / "package.json").exists():
        return None
    for args in (["ci"], ["run", "build"]):
        run(["npm", "--prefix", str(dashboard), *args], check=True)
    dist = dashboard / "dist"
    if not (dist / "index.html").exists():
        raise FileNotFoundError(f"the dashboard build did not produce {dist / 'index.html'}")
    return dist


def cache_control(key: str) -> str:
    """Entry points and config revalidate every time; content-hashed assets never change."""
    name = key.rsplit("/", 1)[-1]
    if name.endswith(".html") or name == "config.json":
        return NO_CACHE
    if _HASHED.search(name):
        return IMMUTABLE
    return SHORT


def site_files(dist: Path | None, config: dict[str, Any]) -> Iterator[tuple[str, bytes]]:
    """Every (key, body) to upload: the build (or a placeholder) plus ``config.json``."""
    if dist is None:
        yield "index.html", PLACEHOLDER.encode()
    else:
        for path in sorted(p for p in dist.rglob("*") if p.is_file()):
            key = path.relative_to(dist).as_posix()
            if key != "config.json":
                yield key, path.read_bytes()
    yield "config.json", json.dumps(config, indent=2).encode()


def upload_site(s3: Any, bucket: str, files: Iterator[tuple[str, bytes]]) -> list[str]:
    """Upload what differs (by MD5 and headers); returns the keys it wrote."""
    existing: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            existing[obj["Key"]] = obj["ETag"].strip('"')
    written = []
    for key, body in files:
        kind = content_type(Path(key))
        cache = cache_control(key)
        digest = hashlib.md5(body, usedforsecurity=False).hexdigest()
        if existing.get(key) == digest:
            head = s3.head_object(Bucket=bucket, Key=key)
            if head.get("ContentType") == kind and head.get("CacheControl") == cache:
                continue
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=kind, CacheControl=cache)
        written.append(key)
    return written


def invalidation_paths(written: list[str]) -> list[str]:
    """Paths CloudFront must forget: every rewritten file that is not content-hashed."""
    paths = sorted({f"/{k}" for k in written if cache_control(k) != IMMUTABLE})
    if "/index.html" in paths:
        paths.insert(0, "/")
    return ["/*"] if len(paths) > 15 else paths


def invalidate(cloudfront: Any, distribution_id: str, paths: list[str]) -> str | None:
    """Start an invalidation (not waited for); returns its id."""
    if not paths:
        return None
    reference = hashlib.sha256(f"{time.time_ns()}:{paths}".encode()).hexdigest()[:32]
    result = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths},
            "CallerReference": reference,
        },
    )
    return str(result["Invalidation"]["Id"])


def empty_bucket(s3: Any, bucket: str) -> int:
    """Delete every object (and version) so CloudFormation can delete the bucket."""
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        items = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        for i in range(0, len(items), 1000):
            s3.delete_objects(Bucket=bucket, Delete={"Objects": items[i : i + 1000], "Quiet": True})
            deleted += len(items[i : i + 1000])
    return deleted
