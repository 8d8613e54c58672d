"""Persists the local S3 server's buckets to disk across restarts (moto itself keeps them in memory)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import boto3

from atelier_localinfra.s3_server import ACCESS_KEY, REGION, SECRET_KEY

_OBJECTS = "objects"
_MANIFEST = "manifest.json"


def _client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
    )


def save_snapshot(endpoint: str, snapshot_dir: Path) -> int:
    """Writes every object of every bucket under `snapshot_dir`; returns the object count."""
    client = _client(endpoint)
    staging = snapshot_dir.with_name(snapshot_dir.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    manifest: dict[str, dict[str, str]] = {}
    count = 0
    for bucket in client.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        manifest[name] = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            for item in page.get("Contents", []):
                key = item["Key"]
                target = staging / name / _OBJECTS / f"{count:08d}"
                target.parent.mkdir(parents=True, exist_ok=True)
                head = client.head_object(Bucket=name, Key=key)
                client.download_file(name, key, str(target))
                manifest[name][target.name] = json.dumps(
                    {"key": key, "content_type": head.get("ContentType", "")}
                )
                count += 1
    (staging / _MANIFEST).write_text(json.dumps(manifest))
    # Swap in whole, so a crash mid-save never leaves a half snapshot in place.
    shutil.rmtree(snapshot_dir, ignore_errors=True)
    staging.rename(snapshot_dir)
    return count


def restore_snapshot(endpoint: str, snapshot_dir: Path) -> int:
    """Recreates buckets and objects saved by `save_snapshot`; returns the object count."""
    manifest_path = snapshot_dir / _MANIFEST
    if not manifest_path.exists():
        return 0
    client = _client(endpoint)
    manifest: dict[str, dict[str, str]] = json.loads(manifest_path.read_text())
    count = 0
    for bucket, objects in manifest.items():
        client.create_bucket(Bucket=bucket)
        for file_name, raw in objects.items():
            meta = json.loads(raw)
            extra = {"ContentType": meta["content_type"]} if meta["content_type"] else {}
            client.upload_file(
                str(snapshot_dir / bucket / _OBJECTS / file_name), bucket, meta["key"], extra
            )
            count += 1
    return count
