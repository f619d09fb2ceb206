"""Printable documents (a profile, a briefing): to PDF off the GUI thread, or to a printer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QPageSize, QPdfWriter, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QMessageBox, QPushButton, QWidget

from ui.tasks import Runner

log = logging.getLogger(__name__)


def write_pdf(html: str, path: Path) -> None:
    """Renders HTML to an A4 PDF (QTextDocument is fine off the GUI thread)."""
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setResolution(96)
    writer.setTitle(path.stem)
    document = QTextDocument()
    document.setHtml(html)
    document.print_(writer)
    if not path.exists() or path.stat().st_size == 0:
        raise OSError("nothing was written")


def print_html(html: str, printer: QPrinter) -> None:
    """Prints HTML on `printer` as it is set up (page size, copies, range)."""
    document = QTextDocument()
    document.setHtml(html)
    document.print_(printer)


def ask_and_print(html: str, title: str, parent: QWidget) -> bool:
    """The system's print dialog, then the document; False if the rep cancelled."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setDocName(title)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(f"Print {title}")
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    print_html(html, printer)
    return True


def paper_buttons(
    ask_export: Callable[[], None], ask_print: Callable[[], None]
) -> tuple[QPushButton, QPushButton]:
    """The "Export PDF…" (Ctrl+E) and "Print…" (Ctrl+P) buttons of a printable window."""
    export = QPushButton("Export PDF…")
    export.setToolTip("Ctrl+E")
    export.clicked.connect(ask_export)
    print_button = QPushButton("Print…")
    print_button.setToolTip("Ctrl+P")
    print_button.clicked.connect(ask_print)
    return export, print_button


def export_in_background(
    runner: Runner, parent: QWidget, html: str, path: Path, done: Callable[[str], None]
) -> None:
    """Writes the PDF off the GUI thread; `done` gets its path, a failure a message box."""

    def failed(exc: Exception) -> None:
        log.error("writing a PDF failed", exc_info=exc)
        QMessageBox.warning(parent, parent.windowTitle(), f"Could not write {path}: {exc}")

    runner.network(lambda: write_pdf(html, path), lambda _: done(str(path)), failed)
