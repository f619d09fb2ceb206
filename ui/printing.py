"""Printable documents (a profile, a briefing): to PDF off the GUI thread, or to a printer;
each page headed by what it is, the file's title set, named safely in the rep's Documents."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMarginsF, QPointF, QRectF, QStandardPaths, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPaintDevice,
    QPainter,
    QPalette,
    QPdfWriter,
    QPen,
    QTextDocument,
)
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QMessageBox, QPushButton, QWidget

from db.errors import in_words
from ui.tasks import Runner

log = logging.getLogger(__name__)

# Page margins in CSS pixels (96 a inch), as Qt's own printing counts them: 1.8 cm at the
# sides and bottom, and room at the top for the header line.
_SOURCE_DPI = 96
_SIDE = 68
_BOTTOM = 60
_TOP = 84
_HEADER_BASELINE = 44  # from the page's top edge
_HEADER_POINTS = 8
# Characters no file name may hold on Windows, macOS or Linux, and names Windows reserves.
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)
FILE_NAME_CHARS = 120


def write_pdf(html: str, path: Path, title: str | None = None, header: str | None = None) -> None:
    """Renders HTML to an A4 PDF titled `title` (its metadata), each page headed by
    `header` and its page number (QTextDocument is fine off the GUI thread)."""
    writer = QPdfWriter(str(path))
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)
    writer.setResolution(300)
    writer.setTitle(title or path.stem)
    writer.setCreator("Fieldbrief")
    print_pages(html, writer, header)
    if not path.exists() or path.stat().st_size == 0:
        raise OSError("nothing was written")


def print_html(html: str, printer: QPrinter, header: str | None = None) -> None:
    """Prints HTML on `printer` as it is set up (page size, copies), headed as a PDF is."""
    print_pages(html, printer, header)


def print_pages(html: str, device: QPagedPaintDevice, header: str | None) -> int:
    """Lays `html` out on `device`'s pages and paints them, each headed by `header` (left)
    and "page n of m" (right) above a rule, the way QTextDocument.print_ pages a document
    (which can head no page). Returns the number of pages."""
    page = QRectF(0, 0, device.width(), device.height())
    document = paged_document(html, device, page)
    pages = document.pageCount()
    painter = QPainter(device)
    if not painter.isActive():  # the file cannot be written (a folder gone, no right)
        raise OSError("the file could not be opened for writing")
    try:
        for index in range(pages):
            if index:
                device.newPage()
            paint_page(painter, document, page, index, header)
    finally:
        painter.end()
    return pages


def paged_document(html: str, device: QPaintDevice, page: QRectF) -> QTextDocument:
    """`html` laid out for `device` in pages of `page`'s size, with margins on each."""
    document = QTextDocument()
    document.documentLayout().setPaintDevice(device)  # fonts and lengths for the device
    document.setHtml(html)
    frame = document.rootFrame().frameFormat()
    # A paged document's root frame margins apply on every page; in CSS pixels, which
    # the layout scales to the device.
    frame.setLeftMargin(_SIDE)
    frame.setRightMargin(_SIDE)
    frame.setTopMargin(_TOP)
    frame.setBottomMargin(_BOTTOM)
    document.rootFrame().setFrameFormat(frame)
    document.setPageSize(page.size())
    return document


def paint_page(
    painter: QPainter, document: QTextDocument, page: QRectF, index: int, header: str | None
) -> None:
    """Page `index` of a paged document, under its header (painted first, so a PDF reader
    reads it first)."""
    scale = painter.device().logicalDpiY() / _SOURCE_DPI
    numbered = f"page {index + 1} of {document.pageCount()}"
    _paint_header(painter, page, scale, header or "", numbered)
    painter.save()
    painter.translate(0, -index * page.height())
    view = QRectF(0, index * page.height(), page.width(), page.height())
    painter.setClipRect(view)
    context = QAbstractTextDocumentLayout.PaintContext()
    context.clip = view
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Text, Qt.GlobalColor.black)  # not the desktop's
    context.palette = palette
    document.documentLayout().draw(painter, context)
    painter.restore()


def _paint_header(painter: QPainter, body: QRectF, scale: float, left: str, right: str) -> None:
    font = QFont(painter.font())
    font.setPointSizeF(_HEADER_POINTS)
    painter.save()
    painter.setFont(font)
    painter.setPen(QColor("#3b4a5c"))
    baseline = _HEADER_BASELINE * scale
    start, end = _SIDE * scale, body.width() - _SIDE * scale
    metrics = painter.fontMetrics()
    right_width = metrics.horizontalAdvance(right)
    shown = metrics.elidedText(left, Qt.TextElideMode.ElideRight, int(end - start - right_width))
    painter.drawText(QPointF(start, baseline), shown)
    painter.drawText(QPointF(end - right_width, baseline), right)
    painter.setPen(QPen(QColor("#7a8591"), max(1.0, scale * 0.75)))
    rule = baseline + metrics.descent() + 4 * scale
    painter.drawLine(QPointF(start, rule), QPointF(end, rule))
    painter.restore()


def ask_and_print(html: str, title: str, parent: QWidget, header: str | None = None) -> bool:
    """The system's print dialog, then the document; False if the rep cancelled."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setDocName(title)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(f"Print {title}")
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    print_html(html, printer, header)
    return True


def safe_file_name(name: str, suffix: str = ".pdf") -> str:
    """`name` as a file name every system takes: no slash or other character a file
    system refuses ("Østergaard Capital A/S" becomes "Østergaard Capital A-S"), no
    leading or trailing dots or spaces, no reserved name, not too long; then `suffix`."""
    cleaned = " ".join(_UNSAFE.sub("-", name).split()).strip(" .")
    cleaned = cleaned[:FILE_NAME_CHARS].rstrip(" .") or "Document"
    if _RESERVED.match(cleaned):
        cleaned = f"{cleaned}-"
    return f"{cleaned}{suffix}"


def documents_folder() -> Path:
    """The rep's Documents folder, or their home folder if the system names none."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if found and Path(found).is_dir():
        return Path(found)
    return Path.home()


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
    runner: Runner,
    parent: QWidget,
    html: str,
    path: Path,
    done: Callable[[str], None],
    title: str | None = None,
    header: str | None = None,
) -> None:
    """Writes the PDF off the GUI thread; `done` gets its path, a failure a message box."""

    def failed(exc: Exception) -> None:
        log.error("writing a PDF failed", exc_info=exc)
        QMessageBox.warning(
            parent, parent.windowTitle(), f"Could not write {path}: {in_words(exc)}"
        )

    runner.network(lambda: write_pdf(html, path, title, header), lambda _: done(str(path)), failed)
