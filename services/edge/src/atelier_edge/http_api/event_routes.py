"""GET /v1/generations/{id}/events: a generation's progress as Server-Sent Events.

Built by `router(caller)`, where `caller` is the dependency that authenticates a request and
answers its account id, so this module never decides who is signed in.
"""

# No `from __future__ import annotations`: FastAPI must see `Depends(caller)` as an object, and
# `caller` is local to `router`, where a string annotation cannot be resolved.

from collections.abc import Callable
from typing import Annotated, Any

import grpc
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response, StreamingResponse

from atelier_edge.http_api.event_stream import OpenStream, StreamInbox
from atelier_edge.http_api.problems import problem
from atelier_edge.http_api.upstream_errors import upstream_problem
from atelier_edge.live.events import Cursor
from atelier_edge.live_wiring import LiveProgress

# Ids are at most 200 printable characters everywhere in Atelier.
GenerationId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]
_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
_DESCRIPTION = """Events `queued`, `started`, `progress`, then one of `succeeded`, `failed`,
`canceled`, which ends the stream. Every event has an `id:`; reconnecting with `Last-Event-ID`
(or `?last_event_id=`) resumes after it without loss or repeats. The first event of a new stream,
or of a resume this edge no longer holds events for, is a snapshot of the generation
(`"snapshot": true`). A comment line arrives when the stream is idle. Closing the stream does not
cancel the generation. 204 when the generation already ended before the given id."""


def router(caller: Callable[..., Any]) -> APIRouter:
    """The events route, with `caller` resolving the signed-in account id."""
    routes = APIRouter(tags=["generations"])

    @routes.get(
        "/v1/generations/{generation_id}/events",
        summary="Live progress of a generation (Server-Sent Events)",
        description=_DESCRIPTION,
        response_class=StreamingResponse,
        responses={
            200: {"content": {"text/event-stream": {}}},
            204: {"description": "the generation ended at or before the given id"},
            400: {"description": "Last-Event-ID is not an id this stream sent"},
            404: {"description": "no such generation for this account"},
        },
    )
    async def generation_events(
        request: Request,
        generation_id: GenerationId,
        account: Annotated[str, Depends(caller)],
        last_event_id: Annotated[str | None, Header()] = None,
        last_event_id_query: Annotated[str | None, Query(alias="last_event_id")] = None,
    ) -> Response:
        live: LiveProgress = request.app.state.live_progress
        field, given = (
            ("Last-Event-ID", last_event_id)
            if last_event_id is not None
            else ("last_event_id", last_event_id_query)
        )
        try:
            cursor = Cursor.parse(given) if given else None
        except ValueError as error:
            return problem(
                400, "invalid-request", "The request is not valid", f"{field}: {error}",
                errors=[{"field": field, "problem": str(error)}],
            )  # fmt: skip
        if not await live.ready():
            response = problem(503, "unavailable", "Live progress is not available; try again")
            response.headers["Retry-After"] = "5"
            return response
        return await _open(live, account, generation_id, cursor)

    return routes


async def _open(
    live: LiveProgress, account: str, generation_id: str, cursor: Cursor | None
) -> Response:
    inbox = StreamInbox(live.inbox_events)
    # Attached before the lookup, so every event after the snapshot's reading reaches the inbox.
    attached = live.hub.attach(generation_id, inbox, cursor)
    try:
        generation = await live.lookup.get(account, generation_id)
    except grpc.aio.AioRpcError as error:
        live.hub.detach(generation_id, inbox)
        return upstream_problem(error)
    if generation is None or attached.ended:
        live.hub.detach(generation_id, inbox)
        if generation is None:
            return problem(404, "not-found", "Not found", "no such generation")
        return Response(status_code=204)
    stream = OpenStream(
        live.hub, live.metrics, generation_id, inbox, attached, generation, live.heartbeat_s
    )
    return StreamingResponse(stream.frames(), media_type="text/event-stream", headers=_HEADERS)
