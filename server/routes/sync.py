"""A rep's sync: the snapshot of their scope, the changes since a cursor, the summary, push."""
# No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.

import json
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from server.auth import AuthService, Caller
from server.devices import offline_days
from server.errors import BadRequest
from server.push import apply_push
from server.records import (
    ScopedRecords,
    WireRecord,
    decode_cursor,
    decode_position,
    encode_cursor,
    encode_position,
    page_json,
    take_page,
)
from server.routes.deps import bearer_caller, check_client_api, me_of
from server.settings import sensitive_policy
from server.store import ServerStore
from sync.content_digest import MOST_SKIPPED, SLICE_ROWS, SliceCheck, slice_digest
from sync.entities import ENTITIES
from sync.protocol import (
    PAGE_ROWS,
    PREFIX,
    PULL_INCLUDES,
    SNAPSHOT_ORDER,
    PullPage,
    PushRequest,
    PushResponse,
    SliceDigest,
    SnapshotPage,
    SyncSummary,
)


def add_sync_routes(
    router: APIRouter, store: ServerStore, auth: AuthService, min_client_api: int
) -> None:
    """Adds the routes of a rep's sync to `router`, over the store and the auth service."""
    caller = bearer_caller(auth, min_client_api)

    @router.get(f"{PREFIX}/sync/snapshot", response_model=SnapshotPage)
    def snapshot(
        who: Annotated[Caller, Depends(caller)],
        after: str | None = None,
        entity: Annotated[list[str] | None, Query()] = None,
        territory: Annotated[list[str] | None, Query()] = None,
    ) -> Response:
        """The caller's scope as it is now, a page at a time; then pull from `cursor`.
        `entity` narrows it to some kinds (to repair them), `territory` to some of the
        caller's territories (newly granted ones); both repeatable."""
        kinds = frozenset(entity) if entity else None
        if kinds is not None and not kinds <= set(SNAPSHOT_ORDER):
            raise BadRequest(f"unknown kind of record: {', '.join(sorted(kinds))}")
        scope = who.territories & frozenset(territory) if territory else who.territories
        with store.session() as session:
            records = ScopedRecords(session, scope, auth.clock)
            position: tuple[str, uuid.UUID] | None = None
            total = None
            if after is None:
                pinned = records.current_version()
                total = records.count(kinds)
            else:
                pinned, last_entity, last_id = decode_position(after)
                position = (last_entity, last_id)
            page, more = take_page(records.snapshot(position, PAGE_ROWS + 1, kinds))
            last = page[-1] if more else None
            # Rows named by this page but created after the pin may be on no earlier page.
            page = _as_allowed(records, records.with_references(page, pinned))
        envelope = SnapshotPage(
            rows=[],
            pinned_version=pinned,
            cursor=encode_cursor(pinned),
            next_after=encode_position(pinned, last.entity, last.id) if last else None,
            total=total,
        )
        return _json(page_json(envelope, page))

    @router.get(f"{PREFIX}/sync/changes", response_model=PullPage)
    def changes(
        who: Annotated[Caller, Depends(caller)],
        cursor: str,
        include: Annotated[list[str] | None, Query()] = None,
        check: Annotated[str | None, Query(max_length=40)] = None,
        check_after: uuid.UUID | None = None,
        check_last: uuid.UUID | None = None,
        check_field: Annotated[list[str] | None, Query()] = None,
        check_skip: Annotated[list[uuid.UUID] | None, Query()] = None,
    ) -> Response:
        """What changed in the caller's scope after `cursor`, oldest first. `include`
        (repeatable) adds `me` (the caller's scope now) to every page, `summary` (what
        /sync/summary says) to the last, and `digest`, to the last, the content digest of
        the slice of rows `check` names (sync.content_digest): a sync that has nothing to
        push makes one request."""
        extras = frozenset(include or ())
        if not extras <= set(PULL_INCLUDES):
            raise BadRequest(f"include takes {', '.join(PULL_INCLUDES)}")
        sliced = None
        if "digest" in extras and check is not None:
            sliced = _slice_check(check, check_after, check_last, check_field, check_skip)
        since = decode_cursor(cursor)
        with store.session() as session:
            records = ScopedRecords(session, who.territories, auth.clock)
            upto = records.current_version()  # read first: all up to it is committed
            page, more = take_page(records.changes_since(since, upto, PAGE_ROWS + 1))
            last = page[-1].version if more else upto
            page = _as_allowed(records, records.with_references(page, since))
            summary = digest = None
            if not more and ("summary" in extras or sliced is not None):
                # Counted after reading the page: they belong to `upto` only if nothing
                # was committed meanwhile (reads here see each commit as it lands).
                entities = records.summary() if "summary" in extras else None
                digest = _slice_digest(records, sliced) if sliced is not None else None
                if records.current_version() == upto:
                    summary = entities
                else:
                    digest = None
            me = (
                me_of(who, sensitive_policy(session), offline_days(session))
                if "me" in extras
                else None
            )
        envelope = PullPage(
            rows=[], cursor=encode_cursor(last), more=more, me=me, summary=summary, digest=digest
        )
        return _json(page_json(envelope, page))

    @router.get(f"{PREFIX}/sync/summary", response_model=SyncSummary)
    def summary(who: Annotated[Caller, Depends(caller)], cursor: str | None = None) -> SyncSummary:
        """Counts and checksums of the caller's scope. With the client's `cursor`: `behind`
        says whether its scope changed after it (then the client pulls before comparing)."""
        since = decode_cursor(cursor) if cursor is not None else None
        with store.session() as session:
            if session.bind is not None and session.bind.dialect.name == "postgresql":
                # Counter and counts from one snapshot.
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            records = ScopedRecords(session, who.territories, auth.clock)
            for _attempt in range(3):
                # pysqlite runs plain reads outside a transaction: counts taken while the
                # counter stood still belong to that version.
                version = records.current_version()
                behind = since is not None and records.changed_since(since)
                entities = {} if behind else records.summary()
                if records.current_version() == version:
                    break
        return SyncSummary(cursor=encode_cursor(version), entities=entities, behind=behind)

    # Fields left empty are left out: an older app's models refuse fields they do not know.
    @router.post(
        f"{PREFIX}/sync/push", response_model=PushResponse, response_model_exclude_none=True
    )
    def push(who: Annotated[Caller, Depends(caller)], body: PushRequest) -> PushResponse:
        """Applies a device's mutations in order; each gets its own result."""
        check_client_api(body.client_api, min_client_api)
        return apply_push(store, who, body, auth.clock)


def _slice_check(
    entity: str,
    after: uuid.UUID | None,
    last: uuid.UUID | None,
    fields: list[str] | None,
    skip: list[uuid.UUID] | None,
) -> SliceCheck:
    """The slice a client asks the digest of, checked at the door."""
    specs = ENTITIES.get(entity)
    if specs is None:
        raise BadRequest(f"check names no kind of record: {entity}")
    unknown = sorted(set(fields or ()) - set(specs))
    if unknown:
        raise BadRequest(f"{entity} has no field {', '.join(unknown)}")
    if len(set(fields or ())) != len(fields or ()):
        raise BadRequest("check_field names each field once")
    if len(skip or ()) > MOST_SKIPPED:
        raise BadRequest(f"check_skip names {MOST_SKIPPED} rows at most")
    return SliceCheck(entity, after, last, tuple(fields or ()), frozenset(skip or ()))


def _slice_digest(records: ScopedRecords, check: SliceCheck) -> SliceDigest | None:
    """The slice's count and digest as the client computes its own; None when it holds
    more rows than a slice may (the client's slice was planned on other rows)."""
    rows = records.live_slice(check.entity, check.after, check.last, check.skip, 2 * SLICE_ROWS)
    if rows is None:
        return None
    hashed = (
        (row.id_text, row.version, json.loads(row.data)) for row in _as_allowed(records, rows)
    )
    count, digest = slice_digest(check.entity, hashed, check.fields)
    return SliceDigest(count=count, digest=digest)


def _as_allowed(records: ScopedRecords, page: list[WireRecord]) -> list[WireRecord]:
    """The page as the company's policy lets devices keep it."""
    if sensitive_policy(records.session) == "off_devices":
        return records.without_sensitive_values(page)
    return page


def _json(body: bytes) -> Response:
    # Written by page_json; the route's response_model still documents the shape.
    return Response(content=body, media_type="application/json")
