"""The account's files: one file, its browser upload into our bucket, and input uploads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from atelier.media.v1 import media_pb2
from atelier_edge.adapters.media_client import MediaClient
from atelier_edge.http_api import models, wire
from atelier_edge.http_api.auth import Caller
from atelier_edge.http_api.problems import problem_responses

router = APIRouter(tags=["media"])
MediaId = Annotated[str, Path(min_length=1, max_length=200)]


def _media(request: Request) -> MediaClient:
    client: MediaClient = request.app.state.media
    return client


@router.get("/v1/media/{media_id}", response_model=models.Media, responses=problem_responses(404))
async def get_media(request: Request, principal: Caller, media_id: MediaId) -> models.Media:
    """Another account's media answers 404, as if it did not exist."""
    return wire.media(await _media(request).get(principal.account_id, media_id))


@router.post(
    "/v1/media/{media_id}/upload",
    response_model=models.Upload,
    responses=problem_responses(404, 409),
)
async def create_upload(request: Request, principal: Caller, media_id: MediaId) -> models.Upload:
    """A presigned PUT the browser sends the file with, straight to the bucket."""
    return _upload(await _media(request).create_upload(principal.account_id, media_id))


def _upload(upload: media_pb2.CreateUploadResponse) -> models.Upload:
    return models.Upload(
        url=upload.url,
        method="PUT",
        headers=dict(upload.headers),
        expires_at=wire.when(upload.expires_at, upload.HasField("expires_at")),
    )


@router.post(
    "/v1/uploads", status_code=201, response_model=models.InputUpload, responses=problem_responses()
)
async def create_input_upload(
    request: Request, principal: Caller, body: models.InputUploadRequest
) -> models.InputUpload:
    """An input file for a generation: PUT it to `upload`, then pass `url` in the params."""
    created = await _media(request).create_input_upload(
        principal.account_id, body.content_type, body.bytes
    )
    return models.InputUpload(
        id=created.media_id,
        upload=_upload(created.upload),
        url=created.read_url,
        url_expires_at=wire.when(created.read_expires_at, created.HasField("read_expires_at")),
    )


@router.post(
    "/v1/media/{media_id}/complete",
    response_model=models.Media,
    responses=problem_responses(404, 409),
)
async def complete_upload(request: Request, principal: Caller, media_id: MediaId) -> models.Media:
    """The browser says its upload is done; media checks the object before it counts as stored."""
    return wire.media(await _media(request).complete_upload(principal.account_id, media_id))
