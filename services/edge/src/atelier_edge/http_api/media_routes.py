"""The account's files: one file, and its browser upload into our bucket."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

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
    upload = await _media(request).create_upload(principal.account_id, media_id)
    return models.Upload(
        url=upload.url,
        method="PUT",
        headers=dict(upload.headers),
        expires_at=wire.when(upload.expires_at, upload.HasField("expires_at")),
    )


@router.post(
    "/v1/media/{media_id}/complete",
    response_model=models.Media,
    responses=problem_responses(404, 409),
)
async def complete_upload(request: Request, principal: Caller, media_id: MediaId) -> models.Media:
    """The browser says its upload is done; media checks the object before it counts as stored."""
    return wire.media(await _media(request).complete_upload(principal.account_id, media_id))
