"""Webhooks of Stripe, Zendesk and HubSpot: POST /v1/hooks/{stripe,zendesk,hubspot}."""
# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.

from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from server.access_log import note_caller
from server.auth import Clock
from server.connectors.intake import HookAnswer, Intake
from server.connectors.registry import SOURCES, Connectors, hook_path
from server.connectors.worker import HookWorker
from server.store import ServerStore
from sync.protocol import ErrorBody

RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No connector of this name is set up here"},
    503: {"model": ErrorBody, "description": "The server cannot open its connector secrets"},
}
# The body is read raw (the signature covers its bytes); documented as what it is.
JSON_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


def add_hook_routes(router: APIRouter, store: ServerStore, clock: Clock) -> HookWorker:
    """Adds the connectors' webhook routes to `router`; returns the worker that takes their
    deliveries in, which runs while the app does (started and stopped with it)."""
    connectors = Connectors(store, clock)
    intake = Intake(store, clock, connectors)
    worker = HookWorker(store, clock, connectors)
    _run_with_app(router, worker)
    for name, source in SOURCES.items():
        router.add_api_route(
            hook_path(name),
            _receiver(name, intake, worker),
            methods=["POST"],
            response_model=HookAnswer,
            responses=RESPONSES,
            openapi_extra=JSON_BODY,
            summary=f"A {source.title} webhook",
            description=f"Where {source.title} sends its webhooks once an admin ran "
            f"`fieldbrief-server connector add {name} --secret-stdin`. Verified by its "
            "signature (401 otherwise, or when older than 5 minutes), stored, answered, "
            "then taken in as an event.",
        )
    return worker


def _receiver(
    name: str, intake: Intake, worker: HookWorker
) -> Callable[[Request], Coroutine[Any, Any, HookAnswer]]:
    async def receive(request: Request) -> HookAnswer:
        note_caller(request, f"system {name} webhook")
        body = await request.body()  # the signed bytes, as sent (the front door capped them)
        url = request.url
        path = url.path + (f"?{url.query}" if url.query else "")
        answer: HookAnswer = await run_in_threadpool(
            intake.receive, name, request.method, request.headers, body, str(url), path
        )
        if answer.status == "stored":
            worker.wake()
        return answer

    return receive


def _run_with_app(router: APIRouter, worker: HookWorker) -> None:
    """The worker starts with the app (taking in what a stopped server left) and stops
    with it, around whatever else the app's lifespan does."""
    previous = router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        worker.start()
        try:
            async with previous(app) as state:
                yield state
        finally:
            await run_in_threadpool(worker.stop)

    router.lifespan_context = lifespan
