"""File ▸ Print today's briefings (Ctrl+Shift+P): one PDF of the day, a cover then each
meeting's briefing from a new page, each page headed by its briefing; or the same on paper."""

from __future__ import annotations

import bisect
import errno
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMarginsF, QObject, QRectF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog, QLabel, QMainWindow, QMessageBox, QProgressBar

from db.briefing.day import BriefingDay, DayBriefings, day_html, day_title, page_headers
from db.briefing.dto import Briefing
from db.briefing.report import briefing_html, briefing_title, page_header
from db.dates import day
from db.errors import in_words
from db.labels import plural
from ui.printing import documents_folder, paged_document, paint_page, safe_file_name
from ui.tasks import Runner

if TYPE_CHECKING:  # the services import SQLAlchemy, which the GUI thread never needs
    from db.briefing.service import BriefingService
    from db.field.meetings import MeetingCalendar

log = logging.getLogger(__name__)

SAVED_SHOWN_MS = 120_000  # how long the status bar says where the PDF went
_PDF_DPI = 300


@dataclass(frozen=True, slots=True)
class PaperDocument:
    """What goes on paper: the HTML, the PDF's title, and the header of each part (a part
    starts a page: the cover, then each briefing)."""

    html: str
    title: str
    headers: tuple[str, ...]
    briefings: int


def day_document(briefing_day: BriefingDay) -> PaperDocument:
    """The day's PDF: its cover and every meeting's briefing."""
    return PaperDocument(
        day_html(briefing_day),
        day_title(briefing_day),
        page_headers(briefing_day),
        len(briefing_day.briefings),
    )


def briefing_document(briefing: Briefing) -> PaperDocument:
    """One briefing, printed whole, as its own window prints it."""
    return PaperDocument(
        briefing_html(briefing, printable=True),
        briefing_title(briefing),
        (page_header(briefing),),
        1,
    )


def part_starts(document: QTextDocument, page_height: float) -> list[int]:
    """The page each part of a laid-out document starts on: the first page, then the page
    of every block that asks for a new page before it (day.NEW_PAGE)."""
    starts = [0]
    layout = document.documentLayout()
    block = document.begin()
    while block.isValid():
        policy = block.blockFormat().pageBreakPolicy()
        if block.position() and policy & QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore:
            starts.append(int(layout.blockBoundingRect(block).top() // page_height))
        block = block.next()
    return starts


def print_parts(paper: PaperDocument, device: QPagedPaintDevice) -> int:
    """Paints the document on `device`'s pages, each headed by the part it belongs to and
    "page n of m"; returns the number of pages."""
    page = QRectF(0, 0, device.width(), device.height())
    document = paged_document(paper.html, device, page)
    starts = part_starts(document, page.height())
    if len(starts) != len(paper.headers):  # a bug, not the rep's: still print, headed
        log.error("%d parts laid out for %d headers", len(starts), len(paper.headers))
    pages = document.pageCount()
    painter = QPainter(device)
    if not painter.isActive():  # the file cannot be written (a folder gone, no right)
        raise OSError(errno.EACCES, "the file could not be opened for writing")
    try:
        for index in range(pages):
            if index:
                device.newPage()
            part = min(bisect.bisect_right(starts, index) - 1, len(paper.headers) - 1)
            paint_page(painter, document, page, index, paper.headers[part])
    finally:
        painter.end()
    return pages


def write_parts_pdf(paper: PaperDocument, path: Path) -> int:
    """Writes an A4 PDF to `path` through a temporary file beside it, renamed in place once
    complete: a failure never leaves half a PDF, nor spoils the file there before. Returns
    the number of pages."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    try:
        writer = QPdfWriter(temporary)
        writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        writer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)
        writer.setResolution(_PDF_DPI)
        writer.setTitle(paper.title)
        writer.setCreator("Fieldbrief")
        pages = print_parts(paper, writer)
        del writer  # closes the file
        if os.path.getsize(temporary) == 0:
            raise OSError(errno.EIO, "nothing was written")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return pages


class DayPrinter(QObject):
    """Prints a day's briefings for the main window: a PDF written off the GUI thread, or
    the system's print dialog; says in the status bar what it is doing and where the PDF
    went, with no box to click away."""

    saved = Signal(str, int)  # path, pages
    printed = Signal(int)  # pages
    failed = Signal(str)

    def __init__(
        self,
        runner: Runner,
        meetings: MeetingCalendar,
        briefings: BriefingService,
        window: QMainWindow,
        rep: Callable[[], str | None] = lambda: None,
    ) -> None:
        super().__init__(window)
        self._runner = runner
        self._day = DayBriefings(meetings, briefings)
        self._window = window
        self._rep = rep
        self.busy = False
        self.show_messages = True  # tests read the signals instead of modal boxes
        self.status = QLabel()
        self.status.setObjectName("printDayStatus")
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setOpenExternalLinks(True)  # the PDF opens in the system's viewer
        self.status.hide()
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: the work is two steps of unknown length
        self.progress.setMaximumWidth(100)
        self.progress.setMaximumHeight(14)
        self.progress.hide()
        window.statusBar().addWidget(self.progress)
        window.statusBar().addWidget(self.status)
        self._forget = QTimer(self)
        self._forget.setSingleShot(True)
        self._forget.setInterval(SAVED_SHOWN_MS)
        self._forget.timeout.connect(self.status.hide)

    def default_path(self, on: date) -> Path:
        """Where the PDF is offered: the Documents folder, "Briefings 2026-12-07.pdf"."""
        return documents_folder() / safe_file_name(f"Briefings {on.isoformat()}")

    def ask_save(self, on: date | None = None) -> None:
        if self._still_busy():
            return
        on = on or date.today()
        path, _ = QFileDialog.getSaveFileName(
            self._window,
            f"Save the briefings for {day(on)} as a PDF",
            str(self.default_path(on)),
            "PDF (*.pdf)",
        )
        if path:
            self.save(Path(path), on)

    def save(self, path: Path, on: date | None = None) -> None:
        """Gathers the day's briefings on the store's thread, writes the PDF on another,
        then says where it went."""
        on = on or date.today()
        if not self._start(f"Preparing the briefings for {day(on)}…"):
            return
        days, rep = self._day, self._rep()
        self._runner.read(
            lambda: day_document(days.day(on, rep)),
            lambda paper: self._write(paper, path),
            self._on_failed,
        )

    def ask_print(self, on: date | None = None) -> None:
        """The system's print dialog for the day's briefings, once they are gathered."""
        on = on or date.today()
        if not self._start(f"Preparing the briefings for {day(on)}…"):
            return
        days, rep = self._day, self._rep()
        self._runner.read(
            lambda: day_document(days.day(on, rep)), self._on_ready_to_print, self._on_failed
        )

    def _still_busy(self) -> bool:
        if self.busy:
            self._window.statusBar().showMessage("Already preparing the briefings…", 5_000)
        return self.busy

    def _start(self, doing: str) -> bool:
        if self._still_busy():
            return False
        self.busy = True
        self._forget.stop()
        self.status.setText(escape(doing))
        self.status.setToolTip("")
        self.status.show()
        self.progress.show()
        return True

    def _write(self, paper: PaperDocument, path: Path) -> None:
        self.status.setText(escape(f"Writing {plural(paper.briefings, 'briefing')}…"))
        self._runner.network(
            lambda: write_parts_pdf(paper, path),
            lambda pages: self._on_saved(path, pages),
            self._on_failed,
        )

    def _on_saved(self, path: Path, pages: int) -> None:
        self._finish()
        link = QUrl.fromLocalFile(str(path)).toString()
        self.status.setText(
            f"Saved <a href='{escape(link, quote=True)}'>{escape(path.name)}</a> "
            f"({plural(pages, 'page')}) in {escape(str(path.parent))}"
        )
        self.status.setToolTip(str(path))
        self._forget.start()
        self.saved.emit(str(path), pages)

    def _on_ready_to_print(self, paper: PaperDocument) -> None:
        self._finish()
        self.status.hide()
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        printer.setDocName(paper.title)
        dialog = QPrintDialog(printer, self._window)
        dialog.setWindowTitle(f"Print {paper.title}")
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            pages = print_parts(paper, printer)
        except OSError as exc:
            self._on_failed(exc)
            return
        self._window.statusBar().showMessage(f"Sent {plural(pages, 'page')} to the printer.", 8_000)
        self.printed.emit(pages)

    def _on_failed(self, exc: Exception) -> None:
        log.error("printing the day's briefings failed", exc_info=exc)
        self._finish()
        message = in_words(exc, "printing the briefings")
        self.status.setText(escape(message))
        self._forget.start()
        if self.show_messages:
            QMessageBox.warning(self._window, "Print today's briefings", message)
        self.failed.emit(message)

    def _finish(self) -> None:
        self.busy = False
        self.progress.hide()
