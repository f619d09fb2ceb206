"""Erases this laptop's copy in the running app: when an admin wiped the device, or when it
went unsynced past the company's offline limit (with a standing warning in the last days).

The window locks for good first (no password opens it again), then the store is closed and
its files, key and sign-in erased on the store thread, after any job already queued there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from desktop.runner import TaskRunner

if TYPE_CHECKING:
    from db.store.local_store import Store
    from desktop.sync_service import SyncService
    from sync.expiry import ExpiryState
    from sync.outcome import DeviceWiped
    from ui.main_window import MainWindow

log = logging.getLogger(__name__)

CHECK_EVERY_MS = 30 * 60 * 1000  # the offline limit counts in days: twice an hour is plenty
ERASING = "Erasing this laptop's copy of your territory…"


class CopyGuard(QObject):
    """Watches the copy's offline limit and the server's wipe; erases the copy when due."""

    _wiped = Signal(object)  # DeviceWiped, emitted on the sync's thread, handled on the GUI's

    def __init__(self, window: MainWindow, runner: TaskRunner, data_dir: Path) -> None:
        super().__init__(window)
        self._window, self._runner, self._data_dir = window, runner, data_dir
        self._store: Store | None = None
        self._sync: SyncService | None = None
        self.erasing = False
        self._wiped.connect(self._on_wiped)
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_EVERY_MS)
        self._timer.timeout.connect(self.check)

    def hear_wipe(self, wiped: DeviceWiped) -> None:
        """For SyncService(on_wiped=...): safe from any thread."""
        self._wiped.emit(wiped)

    def watch(self, store: Store, sync: SyncService) -> None:
        """Starts watching the opened store: checks now, then twice an hour."""
        self._store, self._sync = store, sync
        self.check()
        self._timer.start()

    @Slot()
    def check(self) -> None:
        if self._sync is None or self.erasing:
            return
        self._runner.read(self._sync.expiry_state, self._on_expiry_read)

    def _on_expiry_read(self, state: ExpiryState) -> None:
        if state.verdict == "expired":
            self._erase(state.message(), self._erase_expired(state.message()))
        else:
            self._window.show_notice(state.message())

    @Slot(object)
    def _on_wiped(self, wiped: DeviceWiped) -> None:
        def erase(server: str, username: str, ca_file: str | None) -> str:
            from desktop.wipe import erase_wiped_device

            return erase_wiped_device(
                self._data_dir, wiped, server=server, username=username, ca_file=ca_file
            )

        self._erase(f"this laptop's copy is being erased: {wiped}", erase)

    def _erase_expired(self, line: str) -> Callable[[str, str, str | None], str]:
        def erase(server: str, username: str, _ca_file: str | None) -> str:
            from desktop.wipe import erase_local_copy

            erased = erase_local_copy(
                self._data_dir, server=server or None, username=username or None
            )
            if erased.complete:
                return line
            return f"{line} (but {', '.join(erased.problems)} could not be removed)"

        return erase

    def _erase(self, message: str, eraser: Callable[[str, str, str | None], str]) -> None:
        if self.erasing or self._store is None or self._sync is None:
            return
        self.erasing = True
        self._timer.stop()
        self._window.stop_sync()
        self._window.show_notice("")
        self._window.lock(_sentence(message), can_unlock=False)
        store, sync = self._store, self._sync

        def job() -> str:
            status = sync.status()
            ca_file = sync.ca_file()
            store.close()  # nothing reads or writes it again (StoreClosed)
            return eraser(status.server or "", status.username or "", ca_file)

        self._runner.read(job, self._on_erased, self._on_erase_failed)

    def _on_erased(self, line: str) -> None:
        self._show(_sentence(line) + " You can close Fieldbrief.")

    def _on_erase_failed(self, exc: Exception) -> None:
        log.error("erasing this laptop's copy failed", exc_info=exc)
        self._show(
            "This laptop's copy must be erased, but that failed; close Fieldbrief and tell "
            "your administrator (the details are in the log)."
        )

    def _show(self, text: str) -> None:
        screen = self._window.lock_screen
        if screen is not None:
            screen.show_locked(text, can_unlock=False)


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
