"""Other systems' events coming in with their API key, as JSON or as a CSV."""
# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.

from typing import Annotated

from fastapi import APIRouter, Body, Depends

from server.auth import Clock
from server.events import Incoming
from server.ingest import ApiKeys, IngestBatch, IngestResult, read_csv_upload, take_in
from server.routes.deps import api_key_source
from server.store import ServerStore
from sync.protocol import PREFIX


def add_ingest_routes(router: APIRouter, store: ServerStore, keys: ApiKeys, clock: Clock) -> None:
    """Adds the routes events come in by to `router`, over the store and the API keys."""
    calling_system = api_key_source(keys)

    @router.post(f"{PREFIX}/ingest/events", response_model=IngestResult)
    def ingest_events(
        source: Annotated[str, Depends(calling_system)], body: IngestBatch
    ) -> IngestResult:
        """Marketing, service and billing events about customer accounts, each checked on
        its own: the good ones of a batch land even when others are rejected. Sending an
        event again answers "duplicate"; one whose account is unknown waits as "unmatched"."""
        return take_in(store, source, [Incoming(raw) for raw in body.events], clock)

    @router.post(f"{PREFIX}/ingest/events.csv", response_model=IngestResult)
    def ingest_events_csv(
        source: Annotated[str, Depends(calling_system)],
        body: Annotated[bytes, Body(media_type="text/csv")] = b"",
    ) -> IngestResult:
        """The same from a CSV (columns event_id, type, occurred_at, account_id, crm_id,
        domain, email, contact_email, title; any other column is a details key)."""
        return take_in(store, source, read_csv_upload(body), clock)
