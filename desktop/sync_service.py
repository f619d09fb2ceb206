"""Sync as the window sees it: sign in, sync now, and the state to show in the status bar.

Lives in desktop/ because it owns the HTTP client and the keyring; the window gets it
through its constructor and runs its blocking calls off the GUI thread.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from datetime import datetime

from db.profiles.book import USERNAME
from db.store.local_store import Store
from db.store.replica import LocalReplica, StoreThread
from db.store.types import utc_now
from desktop.credentials import SERVICE, keyring_available, keyring_key
from desktop.wipe import REFRESH_SUFFIX
from sync.engine import (
    AccessToken,
    DeviceWiped,
    NeedsSignIn,
    Progress,
    RetryPolicy,
    SyncEngine,
    SyncOutcome,
    http_client,
)
from sync.expiry import LAST_SYNC_AT, ExpiryState, stored_expiry
from sync.outcome import CopyExpired, SyncStatus

# The engine writes the time of each successful sync (sync.expiry).
SERVER_KEY, LAST_SYNC_KEY = "server_url", LAST_SYNC_AT
USER_KEY = USERNAME  # the profile history names the signed-in rep

log = logging.getLogger(__name__)


class SyncService:
    """Signs in and syncs this store with its server. Every method blocks: run off the GUI
    thread."""

    def __init__(
        self,
        store: Store,
        store_thread: StoreThread | None = None,
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] = utc_now,
        on_wiped: Callable[[DeviceWiped], None] | None = None,
        ca_file: Callable[[], str | None] = lambda: None,
        on_signed_in: Callable[[str], None] | None = None,
    ) -> None:
        """`on_wiped` hears (on the sync's thread) that an admin wiped this device, before
        the DeviceWiped is raised on: the window then locks, closes the store and erases
        the copy (desktop.wipe.erase_wiped_device, with status()'s server and user).
        `ca_file`: the company CA the settings name now (read at each sync). `on_signed_in`
        hears the password that just signed in (the idle lock remembers its hash)."""
        # The app hands the store's own thread: sync writes in turn with the rep's saves.
        self._replica = LocalReplica(store, store_thread) if store_thread else LocalReplica(store)
        self._retry = retry  # None: the engine's (tests wait less for a server that is gone)
        self._memory_token: str | None = None  # when no keyring backend exists
        self._access: AccessToken | None = None  # memory only, for syncs within its lifetime
        self._keyring_known: bool | None = None  # probed on first use, off the GUI thread
        self._keyring_problem: str | None = None  # for the outcome of the sync under way
        self._clock = clock
        self._on_wiped = on_wiped or (lambda _wiped: None)
        self._ca_file = ca_file
        self._on_signed_in = on_signed_in or (lambda _password: None)

    def expiry_state(self) -> ExpiryState:
        """Whether this copy may stay (the company's offline limit): fine; warn, with the
        days left and a message to show; expired: to be locked and erased now (sync()
        refuses it with CopyExpired). Reads the store: off the GUI thread."""
        return stored_expiry(self._replica, self._clock())

    def status(self) -> SyncStatus:
        last = self._replica.state(LAST_SYNC_KEY)
        return SyncStatus(
            server=self._replica.state(SERVER_KEY),
            username=self._replica.state(USER_KEY),
            pending=self._replica.pending_count(),
            needs_attention=self._replica.rejected_count(),
            last_sync_at=datetime.fromisoformat(last) if last else None,
            keyring=self._keyring,
        )

    @property
    def _keyring(self) -> bool:
        # Finding the OS keyring may talk to D-Bus: not at start-up, not on the GUI thread.
        if self._keyring_known is None:
            self._keyring_known = keyring_available()
        return self._keyring_known

    def sign_in(self, server: str, username: str, password: str) -> SyncOutcome:
        """Signs in with a password and syncs; remembers the server and the user."""
        self._refuse_expired()
        outcome = self._run(server.rstrip("/"), username, password, None, None)
        self._replica.set_state(SERVER_KEY, server.rstrip("/"))
        self._replica.set_state(USER_KEY, username)
        self._on_signed_in(password)
        return outcome

    def ca_file(self) -> str | None:
        """The company CA syncs trust besides the system's (None: the system's only)."""
        return self._ca_file()

    def sync(
        self, stop: threading.Event | None = None, progress: Progress | None = None
    ) -> SyncOutcome:
        """Syncs with the remembered server; NeedsSignIn if a password is needed,
        CopyExpired if the copy went unsynced too long, DeviceWiped if an admin wiped it."""
        self._refuse_expired()
        status = self.status()
        if not status.configured:
            raise NeedsSignIn("sign in to your company's server first")
        assert status.server and status.username
        token = self._load_token(status.server, status.username)
        if token is None:
            raise NeedsSignIn(
                "please sign in again"
                if self._keyring
                else "this computer has no keyring to keep your sign-in safely, so Fieldbrief "
                "asks for your password again after each restart"
            )
        return self._run(status.server, status.username, None, token, stop, progress)

    def _run(
        self,
        server: str,
        username: str,
        password: str | None,
        token: str | None,
        stop: threading.Event | None,
        progress: Progress | None = None,
    ) -> SyncOutcome:
        if password is not None:
            self._access = None  # signing in (again), perhaps as someone else
        with http_client(server, ca_file=self._ca_file()) as http:
            engine = SyncEngine(
                self._replica,
                http,
                username,
                password=password,
                refresh_token=token,
                on_refresh_token=lambda new: self._save_token(server, username, new),
                access=self._access,
                on_access=self._keep_access,
                retry=self._retry,
                clock=self._clock,
            )
            try:
                outcome = engine.run(stop, progress)
            except DeviceWiped as wiped:
                self._access, self._memory_token = None, None  # nothing of it kept here
                self._on_wiped(wiped)
                raise
        problem, self._keyring_problem = self._keyring_problem, None
        if problem is not None:
            outcome = dataclasses.replace(outcome, warnings=(*outcome.warnings, problem))
        return outcome

    def _refuse_expired(self) -> None:
        state = self.expiry_state()
        if state.verdict == "expired":
            raise CopyExpired(state.message())

    def _keep_access(self, access: AccessToken) -> None:
        self._access = access

    def _save_token(self, server: str, username: str, token: str) -> None:
        self._memory_token = token
        if not self._keyring:
            return  # none to keep it in: kept in memory, and the status bar says why
        try:
            import keyring

            keyring.set_password(SERVICE, keyring_key(server, username) + REFRESH_SUFFIX, token)
        except Exception:  # kept in memory for this session; said, not swallowed
            log.warning("the keyring refused the sign-in", exc_info=True)
            self._keyring_problem = (
                "your sign-in could not be kept in the system keyring: you will be asked "
                "for your password after a restart"
            )

    def _load_token(self, server: str, username: str) -> str | None:
        if not self._keyring:
            return self._memory_token
        try:
            import keyring

            stored = keyring.get_password(SERVICE, keyring_key(server, username) + REFRESH_SUFFIX)
        except Exception as exc:
            log.warning("the keyring could not be read", exc_info=True)
            if self._memory_token is None:
                raise NeedsSignIn(
                    "the system keyring could not be read: please sign in again"
                ) from exc
            stored = None
        return stored or self._memory_token
