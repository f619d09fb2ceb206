"""The task runner: all store work on one worker thread, results back on the GUI thread.

One thread for SQLite means one writer and no races; network work (sync) gets a small
pool of its own and hands its store calls to the store thread (on_store_thread). Results
and errors come back through queued signals, so callbacks always run on the GUI thread
and slots never block on I/O.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from db.changes import Changes
from db.errors import StoreUserError, in_words
from sync.outcome import SyncError

log = logging.getLogger(__name__)

Callback = Callable[[Any], None]
ErrorCallback = Callable[[Exception], None]
_T = TypeVar("_T")
# Set on the store thread: a store call made there runs at once (waiting would deadlock).
_store_thread = threading.local()


class _Delivery(QObject):
    """Lives on the GUI thread; the worker emits on it, Qt queues the call across threads."""

    done = Signal(object)
    error = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], delivery: _Delivery, on_store: bool) -> None:
        super().__init__()
        self._fn = fn
        self._delivery = delivery
        self._on_store = on_store

    def run(self) -> None:
        _store_thread.here = self._on_store
        try:
            result = self._fn()
        except Exception as exc:  # delivered to the GUI thread, which decides what to show
            self._delivery.error.emit(exc)
        else:
            self._delivery.done.emit(result)


class _Call(QRunnable):
    """A store call made from another thread (TaskRunner.on_store_thread)."""

    def __init__(self, fn: Callable[[], None]) -> None:
        super().__init__()
        self._fn = fn

    def run(self) -> None:
        _store_thread.here = True
        self._fn()


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
        self._waiting: set[Future[Any]] = set()  # on_store_thread calls not yet run
        self._waiting_lock = threading.Lock()
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

    def on_store_thread(self, work: Callable[[], _T]) -> _T:
        """Runs `work` on the store thread, in turn with the store's other jobs, and returns
        its result (or raises its error). Blocks: for threads other than the GUI thread
        (the sync job hands its store calls over this way). On the store thread itself,
        runs at once."""
        if getattr(_store_thread, "here", False):
            return work()
        future: Future[_T] = Future()

        def run() -> None:
            with self._waiting_lock:
                self._waiting.discard(future)
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(work())
            except BaseException as exc:  # raised again in the waiting thread
                future.set_exception(exc)

        with self._waiting_lock:
            if self._closed:
                raise CancelledError("the app is closing")
            self._waiting.add(future)
        self._store_pool.start(_Call(run))
        return future.result()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Drops queued jobs, waits for running ones; True if all stopped in time."""
        with self._waiting_lock:
            self._closed = True
            self._store_pool.clear()
            for future in self._waiting:  # their threads stop waiting (and end)
                future.cancel()
            self._waiting.clear()
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
            if on_error is None:
                self._report(exc)
                return
            _log_failure(exc)  # the caller shows it; the log keeps its traceback
            on_error(exc)

        delivery.done.connect(deliver_result)
        delivery.error.connect(deliver_error)
        pool.start(_Job(fn, delivery, on_store=pool is self._store_pool))

    def _finish(self, delivery: _Delivery) -> bool:
        """Forgets a delivered job; False once the runner is shut down, because the widgets
        a late result was meant for may be gone (calling them could crash)."""
        if self._closed:
            return False
        self._in_flight.discard(delivery)
        delivery.deleteLater()
        return True

    def _report(self, exc: Exception) -> None:
        _log_failure(exc)
        self.failed.emit(in_words(exc))


def _log_failure(exc: Exception) -> None:
    """Every failure of a job reaches the log with its traceback: a bug as an error, what
    the rep can act on (a full disk) as a warning. The sync engine logs its own."""
    if isinstance(exc, SyncError):
        return
    level = logging.WARNING if isinstance(exc, StoreUserError) else logging.ERROR
    log.log(level, "a background job failed", exc_info=exc)
