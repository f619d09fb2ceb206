"""The client sync engine: push the outbox, then pull (snapshot first time), one job.

Plain synchronous code (no Qt): the app runs it off the GUI thread, the CLI runs it
directly. Nothing is lost on any failure: outbox entries leave only after the server
answered for them, and the cursor moves only in the transaction that applied its rows.
"""

from __future__ import annotations

import email.utils
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import BaseModel

from db.replica import CURSOR, LocalReplica, PulledRow
from sync.outcome import NeedsSignIn, SyncError, SyncOutcome, SyncStopped
from sync.protocol import (
    PREFIX,
    ErrorBody,
    LoginRequest,
    Mutation,
    PullPage,
    PushRequest,
    PushResponse,
    RefreshRequest,
    SnapshotPage,
    TokenPair,
)

__all__ = ["NeedsSignIn", "SyncEngine", "SyncError", "SyncOutcome", "SyncStopped", "sync_once"]

PUSH_BATCH = 200


Progress = Callable[[str, int], None]


class SyncEngine:
    """One device's sync with one server."""

    def __init__(
        self,
        replica: LocalReplica,
        http: httpx.Client,
        username: str,
        password: str | None = None,
        refresh_token: str | None = None,
        on_refresh_token: Callable[[str], None] | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._retry = retry or RetryPolicy()
        self._stop = threading.Event()
        self._replica = replica
        self._http = http
        self._username = username
        self._password = password
        self._refresh_token = refresh_token
        self._on_refresh_token = on_refresh_token or (lambda _token: None)
        self._headers: dict[str, str] = {}

    def run(
        self, stop: threading.Event | None = None, progress: Progress | None = None
    ) -> SyncOutcome:
        """Signs in, pushes every pending mutation, then pulls everything new."""
        stop = stop or threading.Event()
        self._stop = stop
        report = progress or (lambda _stage, _count: None)
        client_id = self._replica.client_id()
        self._sign_in(client_id)
        pushed, rejected = self._push(client_id, stop, report)
        pulled, conflicts, snapshot = self._pull(stop, report)
        return SyncOutcome(pushed, rejected, pulled, conflicts, snapshot)

    def _sign_in(self, client_id: Any) -> None:
        """With the stored refresh token if it still works, else with the password."""
        tokens: TokenPair | None = None
        if self._refresh_token:
            try:
                body = RefreshRequest(refresh_token=self._refresh_token)
                tokens = TokenPair.model_validate(self._post("/auth/refresh", body))
            except NeedsSignIn:
                tokens = None
        if tokens is None:
            if not self._password:
                raise NeedsSignIn("please sign in again")
            login = LoginRequest(
                username=self._username, password=self._password, client_id=client_id
            )
            tokens = TokenPair.model_validate(self._post("/auth/login", login))
        self._on_refresh_token(tokens.refresh_token)
        self._headers = {"Authorization": f"Bearer {tokens.access_token}"}

    def _push(self, client_id: Any, stop: threading.Event, report: Progress) -> tuple[int, int]:
        pushed = rejected = 0
        while batch := self._replica.pending(PUSH_BATCH):
            if stop.is_set():
                raise SyncStopped("sync stopped; unsent changes stay queued")
            request = PushRequest(
                client_id=client_id,
                mutations=[
                    Mutation(
                        mutation_id=m.mutation_id,
                        entity=m.entity,
                        op=m.op,  # type: ignore[arg-type]
                        id=m.entity_id,
                        base_version=m.base_version,
                        fields=m.fields,
                        base=m.base,
                    )
                    for m in batch
                ],
            )
            response = PushResponse.model_validate(
                self._call("POST", "/sync/push", json=request.model_dump(mode="json"))
            )
            rejected += self._replica.record_results(
                [
                    (r.mutation_id, r.original_status or r.status, r.reason, r.version)
                    for r in response.results
                ]
            )
            pushed += len(response.results)
            report("push", pushed)
        return pushed, rejected

    def _pull(self, stop: threading.Event, report: Progress) -> tuple[int, int, bool]:
        pulled = conflicts = 0
        cursor = self._replica.state(CURSOR)
        snapshot = cursor is None
        if snapshot:
            after: str | None = None
            while True:
                if stop.is_set():
                    raise SyncStopped(
                        "sync stopped during the first download; it resumes next time"
                    )
                params = {"after": after} if after else {}
                page = SnapshotPage.model_validate(
                    self._call("GET", "/sync/snapshot", params=params)
                )
                after = page.next_after
                # The cursor is stored only with the snapshot's last page.
                self._replica.apply_page(_rows(page.rows), page.cursor if after is None else None)
                pulled += len(page.rows)
                report("snapshot", pulled)
                if after is None:
                    cursor = page.cursor
                    break
        assert cursor is not None
        while True:
            if stop.is_set():
                raise SyncStopped("sync stopped; it continues from here next time")
            changes = PullPage.model_validate(
                self._call("GET", "/sync/changes", params={"cursor": cursor})
            )
            self._replica.apply_page(_rows(changes.rows), changes.cursor)
            pulled += len(changes.rows)
            conflicts += sum(1 for r in changes.rows if r.entity == "conflict")
            cursor = changes.cursor
            report("pull", pulled)
            if not changes.more:
                return pulled, conflicts, snapshot

    def _get(self, path: str, params: dict[str, str]) -> Any:
        return self._call("GET", path, params=params)

    def _post(self, path: str, body: BaseModel) -> Any:
        return self._call("POST", path, json=body.model_dump(mode="json"))

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API call, retried on transient failures (network, 5xx, 429) with backoff."""
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    method, f"{PREFIX}{path}", headers=self._headers, **kwargs
                )
            except httpx.TransportError as exc:
                failure: SyncError = SyncError(
                    f"cannot reach the server ({exc.__class__.__name__}); keep working offline"
                )
                retry_after = None
            else:
                if response.status_code < 400:
                    return response.json()
                failure = _error_of(response)
                if response.status_code != 429 and response.status_code < 500:
                    raise failure
                retry_after = _retry_after(response)
            attempt += 1
            if attempt >= self._retry.attempts:
                raise failure
            if self._stop.wait(self._retry.delay(attempt, retry_after)):
                raise SyncStopped("sync stopped while waiting to retry; nothing was lost")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, honouring the server's Retry-After."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


def _error_of(response: httpx.Response) -> SyncError:
    try:
        message = ErrorBody.model_validate(response.json()).message
    except ValueError:
        message = f"the server answered {response.status_code}"
    return (NeedsSignIn if response.status_code == 401 else SyncError)(message)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _rows(rows: list[Any]) -> list[PulledRow]:
    return [PulledRow(r.entity, r.id, r.version, r.deleted, r.data) for r in rows]


def sync_once(replica: LocalReplica, server: str, username: str, password: str) -> SyncOutcome:
    """One full sync with a fresh HTTP client (the CLI's entry point)."""
    with httpx.Client(base_url=server, timeout=30) as http:
        return SyncEngine(replica, http, username, password).run()
