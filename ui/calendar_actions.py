"""File ▸ Import calendar / Export meetings: .ics files in and out, off the GUI thread,
with what happened said in plain words."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from db.dates import day_and_time
from db.errors import in_words
from ui.tasks import Runner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from collections.abc import Callable

    from db.changes import Changes
    from db.dto import CalendarImportResult
    from db.field.calendar_io import CalendarIO

log = logging.getLogger(__name__)

SKIPPED_SHOWN = 8
ICS_FILTER = "Calendar files (*.ics);;All files (*)"


def import_summary(name: str, result: CalendarImportResult) -> str:
    """'Imported team.ics: 3 new, 1 updated, 5 unchanged.' and what was skipped, and why."""
    lines = [
        f"Imported {name}: {result.created} new, {result.updated} updated, "
        f"{result.unchanged} unchanged meeting{'s' * (result.unchanged != 1)}."
    ]
    if result.skipped:
        lines.append(f"\nLeft out {len(result.skipped)}:")
        for skipped in result.skipped[:SKIPPED_SHOWN]:
            when = f" ({day_and_time(skipped.starts_at)})" if skipped.starts_at else ""
            lines.append(f"• {skipped.summary or 'untitled'}{when}: {skipped.reason}")
        if len(result.skipped) > SKIPPED_SHOWN:
            lines.append(f"• and {len(result.skipped) - SKIPPED_SHOWN} more")
    return "\n".join(lines)


class CalendarActions(QObject):
    """Imports and exports the rep's meetings; the window's menu calls these."""

    imported = Signal(str)  # the summary shown
    exported = Signal(str, int)  # path, meetings written
    failed = Signal(str)

    def __init__(self, runner: Runner, calendar: Callable[[], CalendarIO], parent: QWidget) -> None:
        super().__init__(parent)
        self._runner = runner
        # Asked for on the store thread, when a file is chosen: icalendar loads then, not
        # at start.
        self._calendar = calendar
        self._window = parent
        self.show_messages = True  # tests read the signals instead of modal boxes

    def ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self._window, "Import meetings from a calendar file", str(Path.home()), ICS_FILTER
        )
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> None:
        results: list[CalendarImportResult] = []

        def run() -> Changes:
            result = self._calendar().import_file(path)
            results.append(result)
            return result.changes

        self._runner.write(
            run,
            lambda _changes: self._done_import(import_summary(path.name, results[0])),
            self._on_import_failed,
        )

    def ask_export(self) -> None:
        default = Path.home() / "Fieldbrief meetings.ics"
        path, _ = QFileDialog.getSaveFileName(
            self._window, "Export meetings to a calendar file", str(default), ICS_FILTER
        )
        if path:
            self.export_file(Path(path))

    def export_file(self, path: Path) -> None:
        self._runner.read(
            lambda: self._calendar().export_file(path),
            lambda count: self._done_export(path, count),
            self._on_export_failed,
        )

    def _done_import(self, summary: str) -> None:
        if self.show_messages:
            QMessageBox.information(self._window, "Import calendar", summary)
        self.imported.emit(summary)

    def _done_export(self, path: Path, count: int) -> None:
        said = f"Exported {count} meeting{'s' * (count != 1)} to {path.name}."
        if self.show_messages:
            QMessageBox.information(self._window, "Export meetings", said)
        self.exported.emit(str(path), count)

    def _on_import_failed(self, exc: Exception) -> None:
        log.error("importing a calendar file failed", exc_info=exc)
        self._fail(exc)

    def _on_export_failed(self, exc: Exception) -> None:
        log.error("exporting meetings to a calendar file failed", exc_info=exc)
        self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        message = in_words(exc)
        if self.show_messages:
            QMessageBox.warning(self._window, "Calendar", message)
        self.failed.emit(message)
