"""Our bucket through boto3: presigned URLs, HEAD and first bytes, conditional writes, set-up.

boto3 is blocking; each call runs in a worker thread so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from atelier_media.domain.content_types import SNIFF_BYTES
from atelier_media.domain.upload_rules import ObjectFacts


class KeyExists(Exception):
    """A write with If-None-Match: * found the key taken (by a browser upload, usually)."""


@dataclass(frozen=True)
class UploadedPart:
    etag: str
    crc32: str

    def entry(self, number: int) -> dict[str, Any]:
        """The part as CompleteMultipartUpload lists it."""
        entry: dict[str, Any] = {"ETag": self.etag, "PartNumber": number}
        if self.crc32:
            entry["ChecksumCRC32"] = self.crc32
        return entry


@dataclass(frozen=True)
class StoreConfig:
    endpoint: str | None
    bucket: str
    access_key: str | None
    secret_key: str | None
    region: str


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _is_missing(error: ClientError) -> bool:
    return _code(error) in ("404", "NoSuchKey", "NotFound")


def _is_precondition(error: ClientError) -> bool:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status == 412 or _code(error) in ("PreconditionFailed", "ConditionalRequestConflict")


class ObjectStore:
    def __init__(self, config: StoreConfig) -> None:
        self.bucket = config.bucket
        self._s3: Any = boto3.client(
            "s3",
            endpoint_url=config.endpoint,
            aws_access_key_id=config.access_key,
            aws_secret_access_key=config.secret_key,
            region_name=config.region,
            config=Config(signature_version="s3v4", retries={"mode": "standard"}),
        )

    async def _call(self, operation: str, **params: Any) -> Any:
        return await asyncio.to_thread(getattr(self._s3, operation), Bucket=self.bucket, **params)

    def presigned_put(
        self, key: str, content_type: str, ttl_s: int, size: int | None = None
    ) -> str:
        # The content type (and the size, when given) is signed: the browser must send exactly
        # this Content-Type and that many bytes.
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "ContentType": content_type}
        if size is not None:
            params["ContentLength"] = size
        return str(self._s3.generate_presigned_url("put_object", Params=params, ExpiresIn=ttl_s))

    def presigned_get(self, key: str, ttl_s: int) -> str:
        return str(
            self._s3.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=ttl_s
            )
        )

    async def facts(self, key: str) -> ObjectFacts | None:
        """HEAD, then a ranged GET of the first bytes; None when the object is missing."""
        try:
            head = await self._call("head_object", Key=key)
        except ClientError as error:
            if _is_missing(error):
                return None
            raise
        size = int(head.get("ContentLength", 0))
        first = b""
        if size > 0:
            reply = await self._call("get_object", Key=key, Range=f"bytes=0-{SNIFF_BYTES - 1}")
            first = await asyncio.to_thread(reply["Body"].read)
        return ObjectFacts(size=size, content_type=str(head.get("ContentType", "")), head=first)

    async def delete(self, key: str) -> None:
        await self._call("delete_object", Key=key)

    async def put_new(self, key: str, body: bytes, content_type: str) -> None:
        """A whole small file, only if the key is free (raises KeyExists)."""
        try:
            await self._call(
                "put_object", Key=key, Body=body, ContentType=content_type, IfNoneMatch="*"
            )
        except ClientError as error:
            if _is_precondition(error):
                raise KeyExists(key) from None
            raise

    async def start_multipart(self, key: str, content_type: str) -> str:
        # A CRC32 per part, as boto3's own uploads declare: the store checks each part as it
        # arrives and composes the object's checksum from the parts' at the end (without an
        # algorithm, moto computes a full-object CRC64 over everything at completion: slow).
        reply = await self._call(
            "create_multipart_upload", Key=key, ContentType=content_type, ChecksumAlgorithm="CRC32"
        )
        return str(reply["UploadId"])

    async def upload_part(self, key: str, upload_id: str, number: int, body: bytes) -> UploadedPart:
        reply = await self._call(
            "upload_part",
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            Body=body,
            ChecksumAlgorithm="CRC32",
        )
        return UploadedPart(str(reply["ETag"]), str(reply.get("ChecksumCRC32", "")))

    async def complete_multipart(
        self, key: str, upload_id: str, uploaded: list[UploadedPart]
    ) -> None:
        parts = [part.entry(n) for n, part in enumerate(uploaded, start=1)]
        try:
            await self._call(
                "complete_multipart_upload",
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
                IfNoneMatch="*",
            )
        except ClientError as error:
            if _is_precondition(error):
                await self.abort_multipart(key, upload_id)
                raise KeyExists(key) from None
            raise

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            await self._call("abort_multipart_upload", Key=key, UploadId=upload_id)
        except ClientError as error:
            if _code(error) != "NoSuchUpload":
                raise

    async def configure_bucket(self, web_origins: list[str], retention: dict[str, int]) -> None:
        """CORS for the web app's uploads and reads; lifecycle expiry of each plan's prefix."""
        await self._call(
            "put_bucket_cors",
            CORSConfiguration={
                "CORSRules": [
                    {
                        "AllowedOrigins": web_origins,
                        "AllowedMethods": ["PUT", "GET"],
                        "AllowedHeaders": ["Content-Type"],
                        "ExposeHeaders": ["ETag"],
                        "MaxAgeSeconds": 3600,
                    }
                ]
            },
        )
        rules: list[dict[str, Any]] = [
            {
                "ID": f"{plan}-retention",
                "Status": "Enabled",
                "Filter": {"Prefix": f"{plan}/"},
                "Expiration": {"Days": days},
            }
            for plan, days in sorted(retention.items())
        ]
        rules.append(
            {
                "ID": "abort-multipart",
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
            }
        )
        await self._call(
            "put_bucket_lifecycle_configuration", LifecycleConfiguration={"Rules": rules}
        )
