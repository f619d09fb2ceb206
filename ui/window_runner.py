"""The task runner as a window sees it: a closed window frees itself once the writes it
started have come back, and results never reach a window Qt has already freed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QDialog

from db.errors import StoreUserError, in_words
from ui.tasks import Runner

log = logging.getLogger(__name__)


class WindowRunner(QObject):
    """Runs one dialog's work on the app's runner, and frees the dialog when it is done with.

    Once the dialog is closed (its `finished` signal), it is freed with deleteLater as soon
    as no write it started is still on its way and `unsaved()` is false: what was typed still
    reaches the store, and a refusal still finds its window (which may show itself again).
    Showing the dialog again before then keeps it. Results of reads for a dialog that is
    already freed are dropped, and their errors logged (or, with no handler of the
    dialog's, reported by the app's runner as usual).
    """

    released = Signal()  # the dialog is closed for good; Qt frees it next

    def __init__(
        self, runner: Runner, dialog: QDialog, unsaved: Callable[[], bool] | None = None
    ) -> None:
        super().__init__(dialog)
        self._runner = runner
        self._dialog = dialog
        self._unsaved = unsaved
        self._writes = 0
        self._closed = False
        self.data_changed = runner.data_changed
        self.failed = runner.failed
        dialog.finished.connect(self._on_dialog_finished)
        dialog.installEventFilter(self)

    @property
    def _alive(self) -> bool:
        """False once Qt has freed the dialog."""
        return shiboken6.isValid(self._dialog)

    def read(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self._runner.read(fn, self._while_alive(on_done), self._error_while_alive(on_error))

    def network(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self._runner.network(fn, self._while_alive(on_done), self._error_while_alive(on_error))

    def write(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        """A write; the dialog outlives its closing until this one has come back."""
        self._writes += 1

        def done(changes: Any) -> None:
            self._writes -= 1
            if self._alive:
                if on_done is not None:
                    on_done(changes)
                self._release_if_done()

        def failed(exc: Exception) -> None:
            self._writes -= 1
            if not self._alive:  # freed with its parent: nobody is left to tell but the log
                log.error("a closed window's write failed", exc_info=exc)
                return
            if on_error is not None:
                on_error(exc)
            else:
                self._report(exc)
            self._release_if_done()

        self._runner.write(fn, done, failed)

    def _release_if_done(self) -> None:
        """Frees the dialog if it is closed and nothing it started is still on its way."""
        if not self._closed or self._writes or (self._unsaved is not None and self._unsaved()):
            return
        self._closed = False  # released once
        self._dialog.removeEventFilter(self)
        self.released.emit()
        self._dialog.deleteLater()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._dialog and event.type() == QEvent.Type.Show:
            self._closed = False  # shown again before it was freed: it stays
        return False

    def _on_dialog_finished(self, _result: int) -> None:
        self._closed = True
        self._release_if_done()

    def _while_alive(self, callback: Callable[[Any], None]) -> Callable[[Any], None]:
        def call(value: Any) -> None:
            if self._alive:
                callback(value)

        return call

    def _error_while_alive(
        self, callback: Callable[[Exception], None] | None
    ) -> Callable[[Exception], None] | None:
        if callback is None:
            return None  # the app's runner reports it

        def call(exc: Exception) -> None:
            if self._alive:
                callback(exc)
            else:
                log.error("a closed window's background task failed", exc_info=exc)

        return call

    def _report(self, exc: Exception) -> None:
        # What the app's runner does with an error nobody handles (its own handler is
        # taken by the count of writes on their way).
        if not isinstance(exc, StoreUserError):
            log.error("background write failed", exc_info=exc)
        self.failed.emit(in_words(exc))
