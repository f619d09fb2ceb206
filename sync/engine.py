"""The client sync engine: push the outbox, then pull (snapshot first time), one job.

Plain synchronous code (no Qt): the app runs it off the GUI thread, the CLI runs it
directly. Nothing is lost on any failure: outbox entries leave only after the server
answered for them, and the cursor moves only in the transaction that applied its rows.
"""

from __future__ import annotations

import contextlib
import email.utils
import importlib.metadata
import ipaddress
import json
import logging
import os
import queue
import random
import re
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, Generic, TypeVar

import httpx
import orjson
from pydantic import BaseModel, ValidationError

from db.changes import Changes
from db.store.replica import (
    CONTENT_CHECK,
    CURSOR,
    ENTITY_ORDER,
    SIGNED_IN_AS,
    LocalReplica,
    PendingMutation,
    PulledRow,
)
from sync.collector import collector_paused
from sync.content_digest import MOST_SKIPPED, SLICE_ROWS, SliceCheck, slice_digest
from sync.entities import ENTITIES
from sync.expiry import keep_sync_facts
from sync.outcome import (
    ClientTooOld,
    DeviceWiped,
    NeedsSignIn,
    Offline,
    SyncError,
    SyncOutcome,
    SyncStopped,
)
from sync.protocol import (
    API_HEADER,
    API_VERSION,
    CLIENT_TOO_OLD,
    CLOCK_SKEW_WARNING_S,
    DEVICE_WIPED,
    PREFIX,
    PULL_INCLUDES,
    RESYNC_REQUIRED,
    SERVER_TIME_HEADER,
    VERSION_HEADER,
    VERSION_PATTERN,
    EntitySummary,
    ErrorBody,
    LoginRequest,
    Me,
    Mutation,
    PullPage,
    PushRequest,
    PushResponse,
    RefreshRequest,
    Row,
    SliceDigest,
    SnapshotPage,
    SyncSummary,
    TokenPair,
    WipeDone,
)

__all__ = [
    "AccessToken",
    "DeviceWiped",
    "NeedsSignIn",
    "SyncEngine",
    "SyncError",
    "SyncOutcome",
    "SyncStopped",
    "confirm_wiped",
    "http_client",
    "sync_once",
    "tls_context",
]

log = logging.getLogger(__name__)
# The entities the content check goes round.
_CHECKED = tuple(entity for entity in ENTITY_ORDER if entity in ENTITIES)
PUSH_BATCH = 200
# Rounds of "reused" numbers one sync renumbers before it stops (one is the usual).
MAX_RENUMBERING = 3
# About this much JSON per push at most (the server takes 32 MiB): long notes go a few at a
# time; a single mutation always goes.
PUSH_BYTES = 8_000_000
# Pages downloaded ahead of the one being written, and written at once at most: 8 took a
# 50k-account first download from 48.5 s to 46.4 s over 4 (fewer, larger transactions).
READ_AHEAD = 8
SCOPE = "scope"  # the territories of the last sync, as JSON
SNAPSHOT_AFTER = "snapshot_after"  # where an unfinished first download goes on


@cache
def app_version() -> str:
    """This app's version as installed (VERSION_HEADER); "0+unknown" when run from a tree
    that was never installed."""
    try:
        version = importlib.metadata.version("fieldbrief")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"
    return version if re.fullmatch(VERSION_PATTERN, version) else "0+unknown"


def _following(part: SliceCheck) -> str:
    """Where the content check goes on after `part` (see CONTENT_CHECK)."""
    if part.last is not None:
        return f"{part.entity}/{part.last}"
    return _CHECKED[(_CHECKED.index(part.entity) + 1) % len(_CHECKED)]


def _within_bytes(batch: list[PendingMutation]) -> list[PendingMutation]:
    """The first mutations of `batch` that fit in about PUSH_BYTES of JSON (at least one)."""
    used = 0
    for count, mutation in enumerate(batch):
        used += len(orjson.dumps(mutation.fields)) + len(orjson.dumps(mutation.base)) + 200
        if used > PUSH_BYTES and count:
            return batch[:count]
    return batch


class ResyncRequired(SyncError):
    """The server no longer holds the history after our cursor (handled by the engine)."""


@dataclass
class _Pulled:
    pulled: int = 0
    conflicts: int = 0
    snapshot: bool = False
    resynced: bool = False
    added: set[str] = field(default_factory=set)  # territories granted since the last sync
    removed: set[str] = field(default_factory=set)  # ...and taken away
    # The server's counts and checksums at the cursor of the last page applied, if it sent
    # them along: the end-of-sync check then needs no request of its own.
    summary: tuple[str, dict[str, EntitySummary]] | None = None
    # The slice of rows the content check compares this sync, and the server's digest of
    # it at the cursor of the last page applied.
    check: SliceCheck | None = None
    digest: tuple[str, SliceDigest] | None = None


@dataclass
class _Snapshot:
    rows: int = 0
    seen: dict[str, set[uuid.UUID]] | None = None  # ids per entity, for a repair


# (stage, done so far, total if known): a holder the UI polls, or the CLI's printer.
Progress = Callable[[str, int, int | None], None]

ACCESS_MARGIN_S = 60  # an access token this close to expiring is not used again


@dataclass(frozen=True)
class AccessToken:
    """The access token of the last sign-in, kept in memory (never stored) so the next sync
    within its lifetime goes straight to work instead of signing in again."""

    token: str
    usable_until: float  # time.monotonic()

    @classmethod
    def of(cls, tokens: TokenPair) -> AccessToken:
        return cls(tokens.access_token, time.monotonic() + tokens.expires_in - ACCESS_MARGIN_S)

    def usable(self) -> bool:
        return time.monotonic() < self.usable_until


# Where the app and `fieldbrief sync` find a company's own CA certificate (PEM), besides
# the CAs the operating system trusts; the CLI's --ca-file says the same.
CA_FILE_VARIABLE = "FIELDBRIEF_CA_FILE"


@cache
def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """Certificates checked against the operating system's trusted CAs (truststore), or,
    with a company CA file, against it and OpenSSL's system CAs. Built once per process
    (loading CAs costs tens of milliseconds)."""
    if ca_file is None:
        import truststore

        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context = ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise SyncError(f"the CA file {ca_file} cannot be read as PEM certificates") from exc
    context.load_default_certs()
    return context


def server_problem(server: str) -> str | None:
    """Why the app will not send a password or a rep's data to `server` (None: it will):
    not a web address, or plain http to another computer (readable on the way)."""
    try:
        url = httpx.URL(server)
    except httpx.InvalidURL:
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        return f"{server!r} is not a server address such as https://fieldbrief.example.com"
    if url.scheme == "http" and not _is_loopback(url.host):
        return (
            f"{server} is plain http, readable by anyone on the way: use "
            f"https://{url.host} (plain http is for a server on this computer only)"
        )
    return None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def http_client(
    server: str, timeout: float = 30, ca_file: str | None = None, **options: Any
) -> httpx.Client:
    """An HTTP client for `server` sharing the process's TLS settings; SyncError for a
    server the app will not talk to (server_problem). `ca_file`: a company CA (default:
    FIELDBRIEF_CA_FILE, if set)."""
    problem = server_problem(server)
    if problem is not None:
        raise SyncError(problem)
    ca_file = ca_file or os.environ.get(CA_FILE_VARIABLE) or None
    verify = tls_context(ca_file)
    return httpx.Client(base_url=server, timeout=timeout, verify=verify, **options)


def _untrusted(exc: BaseException) -> str | None:
    """What is wrong with the server's certificate, if that is why `exc` happened."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            reason = seen.verify_message or "not trusted"
            return (
                f"the server's certificate is not trusted ({reason}): if your company "
                f"uses its own CA, set {CA_FILE_VARIABLE} or --ca-file to its certificate"
            )
        seen = seen.__cause__ or seen.__context__
    return None


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
        access: AccessToken | None = None,
        on_access: Callable[[AccessToken], None] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._retry = retry or RetryPolicy()
        self._clock = clock or (lambda: datetime.now(UTC))
        self._stop = threading.Event()
        self._replica = replica
        self._http = http
        self._username = username
        self._password = password
        self._refresh_token = refresh_token
        self._on_refresh_token = on_refresh_token or (lambda _token: None)
        self._access = access
        self._on_access = on_access or (lambda _access: None)
        self._reusing_access = False  # signed in with `access`: a 401 signs in afresh
        self._client_id: uuid.UUID | None = None
        self._headers: dict[str, str] = {
            API_HEADER: str(API_VERSION),
            VERSION_HEADER: app_version(),
        }
        # The scope and policy this device follows (None: not known yet); what the server
        # says on each page is compared with them.
        self._scope: set[str] | None = None
        self._policy: str | None = None
        self._offline_days: int | None = None  # the company's offline limit (None: none)
        self._warnings: list[str] = []
        self._clock_checked = False
        self._changed = Changes()

    def run(
        self, stop: threading.Event | None = None, progress: Progress | None = None
    ) -> SyncOutcome:
        """Checks the server, signs in, pushes every pending mutation, then pulls everything
        new, then checks that both sides hold the same rows (repairing what differs).

        Logs one line for the sync (what it did and how long it took, no customer data),
        and a failure with its traceback; an answer of a shape this app does not read is
        one SyncError, its detail in the log."""
        started = time.monotonic()
        try:
            outcome = self._run(stop, progress)
        except ValidationError as exc:
            log.error("sync failed: an answer of the wrong shape", exc_info=True)
            raise SyncError(
                "the server's answer was not what this app reads: check the server address, "
                "or whether the app needs an update"
            ) from exc
        except DeviceWiped:
            # Not the message: the reason is the admin's own words, perhaps about a person.
            log.warning(
                "sync stopped after %.1f s: an administrator wiped this device",
                time.monotonic() - started,
            )
            raise
        except SyncError as exc:
            log.warning(
                "sync failed after %.1f s: %s", time.monotonic() - started, exc, exc_info=True
            )
            raise
        except BaseException:
            log.error("sync failed after %.1f s", time.monotonic() - started, exc_info=True)
            raise
        log.info(
            "sync done in %.1f s: pushed %d, refused %d, pulled %d, conflicts %d, "
            "set aside %d, repaired %s",
            time.monotonic() - started,
            outcome.pushed,
            outcome.rejected,
            outcome.pulled,
            outcome.conflicts,
            outcome.set_aside,
            ",".join(outcome.repaired) or "nothing",
        )
        return outcome

    def _run(self, stop: threading.Event | None, progress: Progress | None) -> SyncOutcome:
        stop = stop or threading.Event()
        self._stop = stop
        report = progress or (lambda _stage, _count, _total: None)
        warnings = self._warnings = []
        self._clock_checked = False
        self._changed = Changes()  # what this sync wrote to the store, for the window
        client_id = self._client_id = self._replica.client_id()
        known = self._replica.state(SCOPE)
        self._scope = set(json.loads(known)) if known is not None else None
        self._policy = None  # followed anew every sync (it also erases what must go)
        self._offline_days = None
        self._sign_in(client_id)
        pushed, rejected = self._push(client_id, stop, report)
        pull = self._pull(stop, report)
        repaired = self._verify(stop, report, pull)
        if self._scope is not None:
            self._replica.set_state(SCOPE, json.dumps(sorted(self._scope)))
        # Synced: the offline limit counts from now (sync.expiry).
        keep_sync_facts(self._replica, self._clock(), self._offline_days)
        return SyncOutcome(
            pushed,
            rejected,
            pull.pulled,
            pull.conflicts,
            pull.snapshot,
            warnings=tuple(warnings),
            repaired=tuple(repaired),
            resynced=pull.resynced,
            territories_added=tuple(sorted(pull.added)),
            territories_removed=tuple(sorted(pull.removed)),
            set_aside=self._replica.set_aside_count(),
            changes=self._changed | (Changes.of("outbox") if pushed or rejected else Changes()),
        )

    def _check_clock(self, response: httpx.Response) -> None:
        """Warns once per sync of a clock far off the server's (the server says its time
        on every answer; a server that is too new for us says so in its error)."""
        self._clock_checked = True
        stamp = response.headers.get(SERVER_TIME_HEADER)
        try:
            server_time = datetime.fromisoformat(stamp) if stamp else None
        except ValueError:
            server_time = None
        if server_time is None or server_time.tzinfo is None:
            return
        skew = (datetime.now(UTC) - server_time).total_seconds()
        if abs(skew) <= CLOCK_SKEW_WARNING_S:
            return
        direction = "ahead of" if skew > 0 else "behind"
        self._warnings.append(
            f"clock {abs(skew) / 60:.0f} minutes {direction} the server: check date and time"
        )

    def _moved(self, me: Me | None) -> bool:
        """Whether `me` (what the server says of our scope now) is news to this device."""
        if self._policy is None:
            return True  # not followed yet this sync
        if me is None:
            return False  # a server that does not say (it was asked once, at the start)
        return (
            set(me.territories) != self._scope
            or me.sensitive_answers != self._policy
            or me.offline_days != self._offline_days
        )

    def _follow(self, me: Me, stop: threading.Event, report: Progress, done: _Pulled) -> bool:
        """Takes the territories and policy the server says are ours now: forgets the rows
        of territories taken away and downloads those granted (True: it did, and changes
        must be pulled again from before them)."""
        erased = self._replica.set_sensitive_policy(me.sensitive_answers == "off_devices")
        if erased:
            self._changed |= Changes.of("profile_answer")
            self._warnings.append(
                f"your company keeps sensitive profile answers off laptops: {erased} "
                f"{'was' if erased == 1 else 'were'} erased from this one"
            )
        before, self._scope = self._scope, set(me.territories)
        self._policy = me.sensitive_answers
        self._offline_days = me.offline_days
        if before is None:
            return False  # a first download: the whole scope comes anyway
        added, removed = self._scope - before, before - self._scope
        done.added |= added
        done.removed |= removed
        # The push already sent what was queued for them; what the server refused stays
        # (detached) for the rep to settle.
        if self._replica.forget_territories(removed):
            self._changed |= Changes(frozenset(ENTITY_ORDER))
        if not added or self._replica.state(CURSOR) is None:
            return False
        # Newly granted territories: their rows up to our cursor come as a snapshot;
        # anything newer arrives with the pull that follows.
        done.pulled += self._snapshot(stop, report, territories=added).rows
        return True

    def _me(self) -> Me:
        return Me.model_validate(self._call("GET", "/me"))

    def _pull(self, stop: threading.Event, report: Progress) -> _Pulled:
        done = _Pulled()
        cursor = self._replica.state(CURSOR)
        if cursor is None:
            self._follow(self._me(), stop, report, done)
            done.snapshot = True
            done.pulled += self._snapshot(stop, report, resume=True).rows
            cursor = self._replica.state(CURSOR)
        assert cursor is not None
        done.check = self._plan_check()
        try:
            self._pull_changes(cursor, stop, report, done)
        except ResyncRequired:
            # Our cursor predates deletions the server has forgotten: download afresh, as
            # the first time. Non-destructive: the outbox went first, nothing local is
            # dropped; the end-of-sync check lets go of rows the server no longer has.
            self._replica.set_state(CURSOR, None)
            again = self._pull(stop, report)
            again.pulled += done.pulled
            again.added |= done.added
            again.removed |= done.removed
            again.resynced = True
            return again
        return done

    def _pull_changes(
        self, cursor: str, stop: threading.Event, report: Progress, done: _Pulled
    ) -> str:
        """Applies every change after `cursor`, following the scope the pages announce."""
        while True:
            cursor, again = self._pull_pages(cursor, stop, report, done)
            if not again:
                return cursor

    def _pull_pages(
        self, cursor: str, stop: threading.Event, report: Progress, done: _Pulled
    ) -> tuple[str, bool]:
        """Pulls from `cursor` until done (False), or until a scope change downloaded
        granted territories (True: pull again from the cursor returned)."""

        def fetch(at: str) -> _Fetched[PullPage]:
            params: dict[str, Any] = {"cursor": at, "include": list(PULL_INCLUDES)}
            if done.check is not None:
                params |= done.check.params()
            return _fetched(PullPage, self._call("GET", "/sync/changes", params=params))

        def following(page: _Fetched[PullPage]) -> str | None:
            return page.envelope.cursor if page.envelope.more else None

        pages = _read_ahead(fetch, cursor, following)
        with contextlib.closing(pages):
            for batch in pages:
                if stop.is_set():
                    raise SyncStopped("sync stopped; it continues from here next time")
                while batch:
                    same = next(
                        (i for i, page in enumerate(batch) if self._moved(page.envelope.me)),
                        len(batch),
                    )
                    if same:
                        cursor = self._apply_pulled(batch[:same], report, done)
                        batch = batch[same:]
                    elif self._follow(batch[0].envelope.me or self._me(), stop, report, done):
                        return cursor, True  # these pages predate the granted rows
        return cursor, False

    def _apply_pulled(
        self, batch: list[_Fetched[PullPage]], report: Progress, done: _Pulled
    ) -> str:
        rows = _rows_of(batch)
        last = batch[-1].envelope
        self._changed |= self._replica.apply_page(rows, last.cursor)
        done.pulled += len(rows)
        done.conflicts += sum(1 for r in rows if r.entity == "conflict")
        done.summary = (last.cursor, last.summary) if last.summary is not None else None
        done.digest = (last.cursor, last.digest) if last.digest is not None else None
        report("pull", done.pulled, None)
        return last.cursor

    def _snapshot(
        self,
        stop: threading.Event,
        report: Progress,
        *,
        resume: bool = False,
        territories: set[str] | None = None,
        entities: list[str] | None = None,
    ) -> _Snapshot:
        """Downloads (part of) the scope as it is now, page by page, parents first.

        A whole-scope snapshot (`resume`) stores its position with each page and its
        cursor with the last, so a stopped first download goes on where it stopped.
        """
        after = self._replica.state(SNAPSHOT_AFTER) if resume else None
        # The ids sent are kept for a repair only: it lets go of those it was not sent.
        taken = _Snapshot(seen={} if entities and not after else None)
        total: int | None = None

        def fetch(position: str | None) -> _Fetched[SnapshotPage]:
            params: dict[str, Any] = {"after": position} if position else {}
            if territories:
                params["territory"] = sorted(territories)
            if entities:
                params["entity"] = entities
            return _fetched(SnapshotPage, self._call("GET", "/sync/snapshot", params=params))

        pages = _read_ahead(fetch, after, lambda page: page.envelope.next_after)
        with contextlib.closing(pages), collector_paused():
            for batch in pages:
                if stop.is_set():
                    raise SyncStopped("sync stopped during the download; it resumes next time")
                page = batch[-1].envelope
                last = page.next_after is None
                rows = _rows_of(batch)
                self._changed |= self._replica.apply_page(
                    rows,
                    page.cursor if resume and last else None,
                    {SNAPSHOT_AFTER: page.next_after} if resume else None,
                    # Pages lost to a power cut come again: their position went with them.
                    durable=last or not resume,
                    # The whole scope: the search index is filled once, at the end.
                    search=("rebuild" if last else "paused") if resume else "live",
                )
                if taken.seen is not None:
                    for row in rows:
                        taken.seen.setdefault(row.entity, set()).add(row.id)
                taken.rows += len(rows)
                for fetched in batch:
                    if fetched.envelope.total is not None:
                        total = fetched.envelope.total
                report("snapshot", taken.rows, total)
        return taken

    def _verify(self, stop: threading.Event, report: Progress, done: _Pulled) -> list[str]:
        """Compares per-entity counts and checksums with the server's; an entity that
        differs is downloaded again and what the server no longer has is let go of. Rows
        apart from the server with no edit queued count as differing (mark_diverged)."""
        self._replica.mark_diverged()
        for _attempt in range(3):
            cursor = self._replica.state(CURSOR)
            assert cursor is not None
            if done.summary is not None and done.summary[0] == cursor:
                # Sent with the last page, at the cursor we stand on.
                summary = SyncSummary(cursor=cursor, entities=done.summary[1])
                local = self._replica.summary()
                done.summary = None
            else:
                summary, local = self._summaries(cursor)
            if summary.behind:
                # Someone wrote in our scope meanwhile: catch up, then compare again.
                self._pull_changes(cursor, stop, report, done)
                continue
            wrong = sorted(
                entity
                for entity in set(local) | set(summary.entities)
                if local.get(entity, (0, 0))
                != (
                    (summary.entities[entity].count, summary.entities[entity].checksum)
                    if entity in summary.entities
                    else (0, 0)
                )
            )
            if not wrong:
                differing = self._check_content(cursor, done)
                if differing is None:
                    return []
                wrong = [differing]
            repair = self._snapshot(stop, report, entities=wrong)
            assert repair.seen is not None
            if self._replica.sweep({entity: repair.seen.get(entity, set()) for entity in wrong}):
                self._changed |= Changes(frozenset(wrong))
            return wrong
        return []  # busy server: the next sync checks again

    def _plan_check(self) -> SliceCheck | None:
        """The slice of our rows the content check compares this sync: the next one, entity
        by entity, round and round (its digest comes with the last page of the pull)."""
        at = self._replica.state(CONTENT_CHECK) or ""
        entity, _, after_text = at.partition("/")
        if entity not in _CHECKED:
            entity, after_text = _CHECKED[0], ""
        part = self._replica.plan_slice(
            entity, uuid.UUID(after_text) if after_text else None, SLICE_ROWS
        )
        if len(part.skip) > MOST_SKIPPED:
            self._replica.set_state(CONTENT_CHECK, _following(part))
            return None
        return part

    def _check_content(self, cursor: str, done: _Pulled) -> str | None:
        """Compares the content of this sync's slice of our rows with the server's and
        names the entity when they differ: a row changed here with no change to its
        version (a bug, a hand edit) is found although the counts and version sums agree.
        Compared at the same cursor only; else the same slice next time."""
        part = done.check
        if part is None or done.digest is None or done.digest[0] != cursor:
            return None
        theirs = done.digest[1]
        rows = self._replica.slice_rows(part)
        if rows is None:
            return None
        mine = slice_digest(
            part.entity, rows, part.fields
        )  # hashed here, not on the store's thread
        self._replica.set_state(CONTENT_CHECK, _following(part))
        if mine == (theirs.count, theirs.digest):
            return None
        # The download that follows rewrites these rows, versions alike or not.
        self._replica.forget_versions(part)
        log.warning(
            "content check: %s rows after %s differ from the server's (%d here, %d there);"
            " downloading them again",
            part.entity,
            part.after or "the start",
            mine[0],
            theirs.count,
        )
        return part.entity

    def _summaries(self, cursor: str) -> tuple[SyncSummary, dict[str, tuple[int, int]]]:
        """The server's counts and checksums, and ours: our side is counted while the
        server counts its own (a big territory's rows take tens of milliseconds here)."""
        with ThreadPoolExecutor(1, thread_name_prefix="fieldbrief-sync") as counting:
            counted = counting.submit(self._replica.summary)
            summary = SyncSummary.model_validate(
                self._call("GET", "/sync/summary", params={"cursor": cursor})
            )
            return summary, counted.result()

    def _sign_in(self, client_id: Any) -> None:
        """With the last access token while it lasts, else the stored refresh token if it
        still works, else the password."""
        signed_in_as = self._replica.state(SIGNED_IN_AS)
        if signed_in_as is not None and signed_in_as != str(client_id):
            # A copied store (a new device id): the kept sign-in belongs to the original.
            self._access = self._refresh_token = None
        if self._access is not None and self._access.usable():
            self._headers["Authorization"] = f"Bearer {self._access.token}"
            self._reusing_access = True
            return
        self._reusing_access = False
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
        if signed_in_as != str(client_id):
            self._replica.set_state(SIGNED_IN_AS, str(client_id))
        self._access = AccessToken.of(tokens)
        self._on_access(self._access)
        self._headers["Authorization"] = f"Bearer {tokens.access_token}"

    def _push(self, client_id: Any, stop: threading.Event, report: Progress) -> tuple[int, int]:
        pushed = rejected = renumbered = 0
        while batch := _within_bytes(self._replica.pending(PUSH_BATCH)):
            if stop.is_set():
                raise SyncStopped("sync stopped; unsent changes stay queued")
            request = PushRequest(
                client_id=client_id,
                renumbers=True,
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
            reused = sum(1 for r in response.results if r.status == "reused")
            if response.last_applied is not None:
                self._replica.number_above(response.last_applied)
            if reused:
                renumbered += 1
                if response.last_applied is None or renumbered > MAX_RENUMBERING:
                    raise SyncError(
                        "the server keeps refusing this device's change numbers; "
                        "contact support (your changes stay queued here)"
                    )
            pushed += len(response.results) - reused
            report("push", pushed, None)
        return pushed, rejected

    def _post(self, path: str, body: BaseModel) -> Any:
        return self._call("POST", path, json=body.model_dump(mode="json"))

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API call, retried on transient failures (network, an answer cut off or
        garbled on the way, 5xx, 429) with backoff."""
        attempt = 0
        while True:
            retry_after: float | None = None
            try:
                response = self._http.request(
                    method, f"{PREFIX}{path}", headers=self._headers, **kwargs
                )
            except httpx.TransportError as exc:
                untrusted = _untrusted(exc)
                if untrusted is not None:  # not the network: trying again changes nothing
                    raise SyncError(untrusted) from exc
                log.info("%s %s: %s", method, path, exc.__class__.__name__)
                failure: SyncError = Offline("cannot reach the server; keep working offline")
            else:
                if not self._clock_checked:
                    self._check_clock(response)
                if response.status_code < 400:
                    try:
                        return _json_of(response)
                    except ValueError:
                        log.warning(
                            "%s %s answered %d bytes that are not JSON",
                            method,
                            path,
                            len(response.content),
                        )
                        failure = Offline(
                            "the server's answer arrived cut off or garbled; "
                            "keep working offline, the next sync tries again"
                        )
                else:
                    failure = _error_of(response)
                    if isinstance(failure, DeviceWiped):
                        failure.client_id = self._client_id
                    if isinstance(failure, NeedsSignIn) and self._reusing_access:
                        # The kept access token was revoked meanwhile: sign in as usual,
                        # and send this request again with the new one.
                        self._access = None
                        assert self._client_id is not None
                        self._sign_in(self._client_id)
                        continue
                    if response.status_code != 429 and response.status_code < 500:
                        raise failure
                    retry_after = _retry_after(response)
                    if retry_after is not None and retry_after > self._retry.max_delay:
                        raise failure  # a sign-in lock-out: say so now, not after retries
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


# 19 digits in a row: perhaps an integer past 64 bits, which orjson reads as a float.
# Found by turning every digit into "0" and anything else into a space, then searching
# for 19 zeros: a tenth of the time re's \d{19} takes, which was four times orjson's.
_LONG_NUMBER = b"0" * 19
_DIGITS_ONLY = bytes(ord("0") if b in b"0123456789" else ord(" ") for b in range(256))


def _json_of(response: httpx.Response) -> Any:
    # orjson: a first download's pages parse in half the time, on the thread that competes
    # with the one writing them. A page it could misread (a huge integer in an activity's
    # details, say) or refuses (NaN) goes to the standard parser, which reads every value
    # exactly or refuses in its own words.
    content = response.content
    if _LONG_NUMBER not in content.translate(_DIGITS_ONLY):
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass
    return response.json()


def _error_of(response: httpx.Response) -> SyncError:
    try:
        body = ErrorBody.model_validate(response.json())
    except ValueError:
        return SyncError(f"the server answered {response.status_code}")
    if response.status_code == 401:
        return NeedsSignIn(body.message)
    kinds: dict[str, type[SyncError]] = {
        RESYNC_REQUIRED: ResyncRequired,
        CLIENT_TOO_OLD: ClientTooOld,
        DEVICE_WIPED: DeviceWiped,
    }
    return kinds.get(body.error, SyncError)(body.message)


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


_Page = TypeVar("_Page")
_At = TypeVar("_At")
_Envelope = TypeVar("_Envelope", SnapshotPage, PullPage)


def _read_ahead(
    fetch: Callable[[_At], _Page],
    first: _At,
    following: Callable[[_Page], _At | None],
    depth: int = READ_AHEAD,
) -> Generator[list[_Page], None, None]:
    """Pages from `fetch`, starting at `first`, each next one (`following`, None: no more)
    downloading while the caller writes those it was given, up to `depth` pages ahead.

    Yields batches: every page that arrived while the caller was writing (at least one, at
    most `depth`), so a caller slower than the server writes several pages in one
    transaction instead of falling further behind. Close it when done early.
    """
    arrived: queue.SimpleQueue[tuple[_Page | None, BaseException | None]] = queue.SimpleQueue()
    room = threading.Semaphore(depth)
    closing = threading.Event()

    def download() -> None:
        position = first
        try:
            while room.acquire() and not closing.is_set():
                page = fetch(position)
                arrived.put((page, None))
                next_position = following(page)
                if next_position is None:
                    return
                position = next_position
        except BaseException as exc:  # handed to the caller, who raises it
            arrived.put((None, exc))

    with ThreadPoolExecutor(1, thread_name_prefix="fieldbrief-sync") as ahead:
        ahead.submit(download)
        try:
            while True:
                batch: list[_Page] = []
                failure: BaseException | None = None
                page, failure = arrived.get()
                while failure is None:
                    assert page is not None
                    batch.append(page)
                    room.release()
                    if following(page) is None or len(batch) >= depth:
                        break
                    try:
                        page, failure = arrived.get_nowait()
                    except queue.Empty:
                        break
                if batch:
                    yield batch
                if failure is not None:
                    raise failure
                if following(batch[-1]) is None:
                    return
        finally:
            closing.set()
            room.release()  # a download waiting for room sees `closing` and ends


@dataclass(frozen=True, slots=True)
class _Fetched(Generic[_Envelope]):
    """A page as downloaded: its envelope, checked (without its rows), and its rows as
    parsed JSON: they are read (_rows_of) by the thread that writes them, which keeps the
    downloading thread's share of the interpreter lock small."""

    envelope: _Envelope
    raw_rows: list[Any]


def _fetched(model: type[_Envelope], body: Any) -> _Fetched[_Envelope]:
    raw_rows = body.get("rows") if isinstance(body, dict) else None
    if not isinstance(raw_rows, list):
        return _Fetched(model.model_validate(body), [])  # refused, in pydantic's words
    return _Fetched(model.model_validate({**body, "rows": []}), raw_rows)


def _rows_of(batch: list[_Fetched[Any]]) -> list[PulledRow]:
    """The rows of some pages, checked by Row's own rules written out (a fifth of the time
    pydantic takes, for most of a first download's work); any row those do not settle
    goes to Row itself, which accepts or refuses it."""
    return [_row(raw) for page in batch for raw in page.raw_rows]


_ROW_FIELDS = frozenset(Row.model_fields)
_UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def _row(raw: Any) -> PulledRow:
    if type(raw) is dict and raw.keys() <= _ROW_FIELDS:
        entity, row_id = raw.get("entity"), raw.get("id")
        version, deleted, data = raw.get("version"), raw.get("deleted", False), raw.get("data")
        if (
            type(entity) is str
            and type(row_id) is str
            and _UUID_TEXT.fullmatch(row_id)
            and type(version) is int
            and type(deleted) is bool
            and type(data) is dict
        ):
            return PulledRow(entity, uuid.UUID(row_id), version, deleted, data)
    row = Row.model_validate(raw)
    return PulledRow(row.entity, row.id, row.version, row.deleted, row.data)


def confirm_wiped(http: httpx.Client, client_id: uuid.UUID, attempts: int = 3) -> bool:
    """Tells the server this device erased its copy (after DeviceWiped); whether it heard.
    A few tries, quickly: the rep is waiting, and the copy is gone whatever the answer."""
    body = WipeDone(client_id=client_id).model_dump(mode="json")
    headers = {API_HEADER: str(API_VERSION), VERSION_HEADER: app_version()}
    for attempt in range(attempts):
        try:
            response = http.post(f"{PREFIX}/device/wiped", json=body, headers=headers)
        except httpx.TransportError:
            log.info("telling the server of the wipe: no answer (try %d)", attempt + 1)
        else:
            if response.status_code < 300:
                return True
            log.warning("the server answered %d to the wipe done", response.status_code)
            if response.status_code < 500:
                return False
        time.sleep(0.5 * (attempt + 1))
    return False


def sync_once(
    replica: LocalReplica,
    server: str,
    username: str,
    password: str,
    progress: Progress | None = None,
    retry: RetryPolicy | None = None,
    ca_file: str | None = None,
    clock: Callable[[], datetime] | None = None,
) -> SyncOutcome:
    """One full sync with a fresh HTTP client (the CLI's entry point)."""
    with http_client(server, ca_file=ca_file) as http:
        engine = SyncEngine(replica, http, username, password, retry=retry, clock=clock)
        return engine.run(progress=progress)
