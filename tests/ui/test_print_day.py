"""File ▸ Print today's briefings (Ctrl+Shift+P) in the real window on a real store: one PDF
in the rep's Documents, a cover and a page a meeting, each page headed by its briefing, said
in the status bar rather than in a box; the same on a printer; and a failed write that
leaves the file that was there before and no half-written one."""

from __future__ import annotations

import errno
import unicodedata
from datetime import date, datetime, time
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QWidget
from pytestqt.qtbot import QtBot

import ui.print_day
import ui.printing
from db.briefing.day import NEW_PAGE
from db.briefing.report import html_document
from db.dates import day
from db.store.local_store import Store
from tests.helpers.factories import add_account, add_contact, add_meeting
from ui.main_window import MainWindow
from ui.print_day import PaperDocument, write_parts_pdf
from ui.shortcuts_dialog import SHORTCUT_GROUPS

SAVE = "&Print today's briefings…"
ON_PAPER = "Print today's briefings on p&aper…"


def page_texts(path: Path) -> list[str]:
    return [
        " ".join(unicodedata.normalize("NFKC", page.extract_text()).split())
        for page in PdfReader(path).pages
    ]


class DocumentsAt:
    """Stands in for QStandardPaths, its Documents folder at `folder`."""

    StandardLocation = QStandardPaths.StandardLocation

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def writableLocation(self, location: QStandardPaths.StandardLocation) -> str:  # noqa: N802
        return self.folder


@pytest.fixture
def two_meetings(territory: Store) -> Store:
    """Acme's meeting at 15:00 today (with its open dispute), and Bolt's at 09:00."""
    bolt = add_account(territory, "Bolt & Nut GmbH", city="Köln")
    kai = add_contact(territory, bolt, "Kai", "Roth")
    nine = datetime.combine(date.today(), time(9)).astimezone()
    add_meeting(territory, bolt, nine, "Visit", (kai,))
    return territory


@pytest.fixture
def documents(tmp_path: Path) -> Path:
    folder = tmp_path / "Documents"
    folder.mkdir()
    return folder


def action(window: MainWindow, text: str) -> QAction:
    return next(a for a in window.findChildren(QAction) if a.text() == text)


def test_ctrl_shift_p_saves_the_day_in_documents_and_says_where(
    qtbot: QtBot,
    two_meetings: Store,
    window: MainWindow,
    documents: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ui.printing, "QStandardPaths", DocumentsAt(str(documents)))
    offered: list[str] = []

    def ask(_parent: QWidget, _title: str, default: str, _filter: str) -> tuple[str, str]:
        offered.append(default)
        return default, "PDF (*.pdf)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", ask)
    printer = window.make_day_printer()
    printer.show_messages = False
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    modifiers = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    with qtbot.waitSignal(printer.saved, timeout=20_000) as saved:
        qtbot.keyClick(window, Qt.Key.Key_P, modifiers)
        assert printer.progress.isVisible()  # while it works: a busy bar, not a frozen window

    target = documents / f"Briefings {date.today().isoformat()}.pdf"
    assert offered == [str(target)]
    assert saved.args == [str(target), 3]
    cover, bolt, acme = page_texts(target)  # two meetings: the cover and a page each
    assert cover.startswith(f"Your day, {day(date.today())} page 1 of 3")
    assert "2 meetings" in cover and "1 meeting marked STOP" in cover
    assert cover.index("Bolt & Nut GmbH") < cover.index("Acme Logistics")
    assert bolt.startswith(f"09:00–10:00 · Bolt & Nut GmbH · briefing for {day(date.today())}")
    assert acme.startswith("15:00–16:00 · Acme Logistics · briefing for")
    assert "STOP STOP: open dispute, do not pitch" in acme
    # Said where it went, in the window: a link to open it, no box to click away.
    assert printer.status.isVisible() and not printer.progress.isVisible()
    assert f">{target.name}</a> (3 pages) in {documents}" in printer.status.text()
    assert QApplication.activeModalWidget() is None
    assert [p.name for p in documents.iterdir()] == [target.name]  # nothing half-done


def test_ctrl_shift_p_is_listed_and_taken_by_nothing_else(window: MainWindow) -> None:
    fmt = QKeySequence.SequenceFormat.PortableText
    keys = [a.shortcut().toString(fmt) for a in window.findChildren(QAction)]
    keys += [s.key().toString(fmt) for s in window.findChildren(QShortcut)]
    assert keys.count("Ctrl+Shift+P") == 1
    assert action(window, SAVE).shortcut().toString(fmt) == "Ctrl+Shift+P"
    main_window_keys = dict(SHORTCUT_GROUPS[0][1])
    assert "Print today's briefings" in main_window_keys["Ctrl+Shift+P"]


def test_on_paper_through_the_print_dialog(
    qtbot: QtBot,
    two_meetings: Store,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "printed.pdf"

    class FilePrinter(QPrinter):
        def __init__(self, mode: QPrinter.PrinterMode) -> None:
            super().__init__(mode)
            self.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            self.setOutputFileName(str(target))

    monkeypatch.setattr(ui.print_day, "QPrinter", FilePrinter)
    monkeypatch.setattr(QPrintDialog, "exec", lambda _self: QDialog.DialogCode.Accepted)
    printer = window.make_day_printer()
    with qtbot.waitSignal(printer.printed, timeout=20_000) as printed:
        action(window, ON_PAPER).trigger()
    assert printed.args == [3]
    pages = page_texts(target)
    assert len(pages) == 3 and pages[2].startswith("15:00–16:00 · Acme Logistics")


def test_a_failed_write_leaves_the_file_before_and_no_half_pdf(
    qtbot: QtBot,
    two_meetings: Store,
    window: MainWindow,
    documents: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = documents / "day.pdf"
    target.write_bytes(b"yesterday's briefings")
    painted = ui.print_day.print_parts

    def disk_full(*args: object) -> int:
        painted(*args)  # type: ignore[arg-type]  # the pages are written, then the disk fills
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ui.print_day, "print_parts", disk_full)
    printer = window.make_day_printer()
    printer.show_messages = False
    with qtbot.waitSignal(printer.failed, timeout=20_000) as failed:
        printer.save(target)
    assert failed.args == ["Printing the briefings failed: no space left on device"]
    assert target.read_bytes() == b"yesterday's briefings"
    assert [p.name for p in documents.iterdir()] == ["day.pdf"]
    assert printer.status.text() == failed.args[0] and not printer.busy


def test_asking_again_while_it_works_starts_nothing_more(
    qtbot: QtBot,
    two_meetings: Store,
    window: MainWindow,
    documents: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[object] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: asked.append(a) or ("", ""))
    printer = window.make_day_printer()
    with qtbot.waitSignal(printer.saved, timeout=20_000):
        printer.save(documents / "first.pdf")
        printer.save(documents / "second.pdf")
        printer.ask_save()
        assert window.statusBar().currentMessage() == "Already preparing the briefings…"
    assert asked == []  # no file dialog while the first one works
    assert [p.name for p in documents.iterdir()] == ["first.pdf"]
    assert not printer.busy


def test_each_page_is_headed_by_the_part_it_belongs_to(qtbot: QtBot, tmp_path: Path) -> None:
    """A part longer than a page keeps its header on every page it fills."""
    long = "".join(f"<p>Line {n} of the long one</p>" for n in range(150))
    html = html_document(
        f"<h1>Cover</h1>{NEW_PAGE}<h1>Long</h1>{long}</div>{NEW_PAGE}<h1>Short</h1></div>"
    )
    paper = PaperDocument(html, "Parts", ("Cover head", "Long head", "Short head"), 2)
    target = tmp_path / "parts.pdf"
    pages = write_parts_pdf(paper, target)
    texts = page_texts(target)
    assert len(texts) == pages >= 4
    heads = [t.split(" page ")[0] for t in texts]
    assert heads == ["Cover head", *["Long head"] * (pages - 2), "Short head"]
    assert texts[-1].endswith("Short")
