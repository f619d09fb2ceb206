"""Sync from the window: F5, on start, every few minutes; status for the status bar.

The sync job runs on the runner's network pool (it waits on the network, and SQLite in WAL
mode lets the store thread go on reading meanwhile). Progress is read from a holder by a
QTimer; a stop Event ends the job between pages when the window closes.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from db.errors import in_words
from sync.outcome import NeedsSignIn, Offline, SyncError, SyncOutcome
from ui.tasks import Runner

AUTO_SYNC_MS = 5 * 60 * 1000
AFTER_SAVE_MS = 15 * 1000  # a burst of edits goes out in one sync, shortly after the last


class SyncBackend(Protocol):
    """What the window needs of sync (desktop.sync_service.SyncService)."""

    def status(self) -> Any: ...
    def sign_in(self, server: str, username: str, password: str) -> SyncOutcome: ...
    def sync(self, stop: threading.Event | None = None, progress: Any = None) -> SyncOutcome: ...


class ProgressHolder:
    """Written by the sync job, read on the GUI thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: tuple[str, int, int | None] = ("", 0, None)

    def __call__(self, stage: str, count: int, total: int | None = None) -> None:
        with self._lock:
            self._value = (stage, count, total)

    def read(self) -> tuple[str, int, int | None]:
        with self._lock:
            return self._value


class SyncController(QObject):
    """Starts syncs, one at a time, and reports how they went."""

    started = Signal()
    progressed = Signal(str, int, object)  # stage, count, total (None: not known)
    synced = Signal(object)  # SyncOutcome
    failed = Signal(str)  # plain words; the app keeps working offline
    # The message, and whether the rep asked for this sync (F5, a click): only then may the
    # window ask for the password at once; an automatic sync never opens a dialog.
    sign_in_needed = Signal(str, bool)
    status_changed = Signal(object)  # SyncStatus

    def __init__(self, runner: Runner, backend: SyncBackend, parent: QObject | None = None):
        super().__init__(parent)
        self._runner = runner
        self._backend = backend
        self._stop = threading.Event()
        self._progress = ProgressHolder()
        self.running = False
        self._poll = QTimer(self)
        self._poll.setInterval(150)
        self._poll.timeout.connect(self._on_poll_timeout)
        self._auto = QTimer(self)
        self._auto.setInterval(AUTO_SYNC_MS)
        self._auto.timeout.connect(self._sync_automatically)
        self._after_save = QTimer(self)
        self._after_save.setSingleShot(True)
        self._after_save.setInterval(AFTER_SAVE_MS)
        self._after_save.timeout.connect(self._on_after_save_timeout)
        self.online: bool | None = None  # None until a sync has tried
        self.needs_sign_in = False  # the last sync could not sign in
        self._asked = False  # the running sync was asked for by the rep
        self._configured = False
        runner.data_changed.connect(self._on_runner_data_changed)

    def start(self) -> None:
        """Shows the status and syncs once if a server is set up; then every few minutes."""
        self.refresh_status()
        self._runner.network(self._backend.status, self._on_first_status)
        self._auto.start()

    def refresh_status(self) -> None:
        self._runner.network(self._backend.status, self._on_status)

    def _on_status(self, status: Any) -> None:
        self._configured = bool(status.configured)
        self.status_changed.emit(status)

    def set_after_save_delay(self, ms: int) -> None:
        self._after_save.setInterval(ms)

    @Slot()
    def sync_now(self) -> None:
        """A sync the rep asked for (F5, a click): a needed sign-in may be asked at once."""
        self._sync(asked=True)

    @Slot()
    def _sync_automatically(self) -> None:
        self._sync(asked=False)

    def _sync(self, *, asked: bool) -> None:
        if self.running:
            return
        self._begin()
        self._asked = asked
        self._runner.network(
            lambda: self._backend.sync(self._stop, self._progress), self._on_done, self._on_error
        )

    def sign_in(self, server: str, username: str, password: str) -> None:
        if self.running:
            return
        self._begin()
        self._asked = True
        self._runner.network(
            lambda: self._backend.sign_in(server, username, password), self._on_done, self._on_error
        )

    def stop(self) -> None:
        """Asks a running sync to stop at the next page; nothing done so far is lost."""
        self._stop.set()
        self._auto.stop()
        self._after_save.stop()

    @Slot(object)
    def _on_runner_data_changed(self, _changes: Any) -> None:
        # Every local write queues outbox entries: send them soon, once typing pauses.
        if self._configured and not self._stop.is_set():
            self._after_save.start()

    @Slot()
    def _on_after_save_timeout(self) -> None:
        if self.running:
            self._after_save.start()  # try again once the running sync is done
        else:
            self._sync_automatically()

    def _begin(self) -> None:
        self.running = True
        self._stop.clear()
        self._progress("connecting", 0)
        self._poll.start()
        self.started.emit()

    def _finish(self) -> None:
        self.running = False
        self._poll.stop()
        self.refresh_status()

    def _on_first_status(self, status: Any) -> None:
        if status.configured:
            self._sync_automatically()

    def _on_done(self, outcome: SyncOutcome) -> None:
        self.online = True
        self.needs_sign_in = False
        self._finish()
        self.synced.emit(outcome)

    def _on_error(self, exc: Exception) -> None:
        # Reaching a server that will not sign us in is not being "online".
        self.online = not isinstance(exc, Offline | NeedsSignIn)
        self.needs_sign_in = isinstance(exc, NeedsSignIn)
        self._finish()
        if isinstance(exc, NeedsSignIn):
            self.sign_in_needed.emit(str(exc), self._asked)
        elif isinstance(exc, SyncError):
            self.failed.emit(str(exc))
        else:
            self.failed.emit(in_words(exc, "the sync"))

    @Slot()
    def _on_poll_timeout(self) -> None:
        self.progressed.emit(*self._progress.read())
