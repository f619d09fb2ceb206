"""The task runner: all store work on one worker thread, results back on the GUI thread.

One thread for SQLite means one writer and no races; network work (sync, later) gets a
small pool of its own. Results and errors come back through queued signals, so callbacks
always run on the GUI thread and slots never block on I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from db.changes import Changes
from db.errors import StoreUserError

log = logging.getLogger(__name__)

Callback = Callable[[Any], None]
ErrorCallback = Callable[[Exception], None]


class _Delivery(QObject):
    """Lives on the GUI thread; the worker emits on it, Qt queues the call across threads."""

    done = Signal(object)
    error = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], delivery: _Delivery) -> None:
        super().__init__()
        self._fn = fn
        self._delivery = delivery

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:  # delivered to the GUI thread, which decides what to show
            self._delivery.error.emit(exc)
        else:
            self._delivery.done.emit(result)


class TaskRunner(QObject):
    """Runs store reads and writes off the GUI thread and reports back on it."""

    data_changed = Signal(object)  # Changes, after every write that changed something
    failed = Signal(str)  # a plain-words message for errors no caller handled

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store_pool = QThreadPool(self)
        self._store_pool.setMaxThreadCount(1)
        self._network_pool = QThreadPool(self)
        self._network_pool.setMaxThreadCount(4)
        self._in_flight: set[_Delivery] = set()
        self._closed = False

    @property
    def busy(self) -> bool:
        return bool(self._in_flight)

    def read(
        self, fn: Callable[[], Any], on_done: Callback, on_error: ErrorCallback | None = None
    ) -> None:
        """Runs a store query on the store thread; `on_done(result)` on the GUI thread."""
        self._submit(self._store_pool, fn, on_done, on_error)

    def write(
        self,
        fn: Callable[[], Changes],
        on_done: Callable[[Changes], None] | None = None,
        on_error: ErrorCallback | None = None,
    ) -> None:
        """Runs a store write; announces what changed through `data_changed`, then `on_done`."""

        def finished(changes: Changes) -> None:
            if changes:
                self.data_changed.emit(changes)
            if on_done is not None:
                on_done(changes)

        self._submit(self._store_pool, fn, finished, on_error)

    def network(
        self, fn: Callable[[], Any], on_done: Callback, on_error: ErrorCallback | None = None
    ) -> None:
        """Runs network-only work (no store access) on the network pool."""
        self._submit(self._network_pool, fn, on_done, on_error)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Drops queued jobs, waits for running ones; True if all stopped in time."""
        self._closed = True
        self._store_pool.clear()
        self._network_pool.clear()
        stopped = self._store_pool.waitForDone(timeout_ms)
        stopped = self._network_pool.waitForDone(timeout_ms) and stopped
        self._in_flight.clear()
        return stopped

    def _submit(
        self,
        pool: QThreadPool,
        fn: Callable[[], Any],
        on_done: Callback,
        on_error: ErrorCallback | None,
    ) -> None:
        if self._closed:
            return
        delivery = _Delivery(self)
        self._in_flight.add(delivery)

        def deliver_result(result: Any) -> None:
            if self._finish(delivery):
                on_done(result)

        def deliver_error(exc: Exception) -> None:
            if not self._finish(delivery):
                return
            if on_error is not None:
                on_error(exc)
            else:
                self._report(exc)

        delivery.done.connect(deliver_result)
        delivery.error.connect(deliver_error)
        pool.start(_Job(fn, delivery))

    def _finish(self, delivery: _Delivery) -> bool:
        """Forgets a delivered job; False once the runner is shut down, because the widgets
        a late result was meant for may be gone (calling them could crash)."""
        if self._closed:
            return False
        self._in_flight.discard(delivery)
        delivery.deleteLater()
        return True

    def _report(self, exc: Exception) -> None:
        if isinstance(exc, StoreUserError):
            self.failed.emit(str(exc))
            return
        log.error("background task failed", exc_info=exc)
        self.failed.emit(f"Something went wrong: {exc}. Details are in the log.")
