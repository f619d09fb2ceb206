"""The briefing on paper and as a file: every page headed by the account and the day, the
PDF's title set, opened groups printed whole, a file name every system takes in the rep's
Documents folder, and the window saying where the file went; and on screen, the warning
first, then the talking points and who they meet."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget
from pytestqt.qtbot import QtBot

import ui.printing
from db.briefing.service import BriefingService
from db.dates import day
from db.store.local_store import Store
from desktop.runner import TaskRunner
from sync.enums import Channel, TeamRole
from tests.helpers.factories import (
    add_account,
    add_activity,
    add_contact,
    add_meeting,
    add_team_member,
)
from tests.helpers.pdf import print_to_file
from ui.briefing_dialog import BriefingDialog
from ui.printing import safe_file_name

NAME = "Østergaard Capital A/S"
EMAILS = 120  # opened emails in one timeline group: pages when printed whole


@pytest.fixture
def meeting_day() -> datetime:
    return datetime.combine(datetime.now().date() + timedelta(days=2), time(10)).astimezone()


@pytest.fixture
def dialog(
    qtbot: QtBot, store: Store, runner: TaskRunner, window_parent: QWidget, meeting_day: datetime
) -> Iterator[BriefingDialog]:
    account = add_account(store, NAME, city="Aarhus")
    sofie = add_contact(
        store, account, "Sofie", "Holm", phone="+45 86 12 34 56", email="sofie@oc.example"
    )
    add_team_member(store, account, "Sandra Kühn", TeamRole.BILLING_CONTACT)
    add_meeting(store, account, meeting_day, "Portfolio review", (sofie,))
    add_activity(
        store, account, "Invoice INV-7 issued", type="invoice_issued", channel=Channel.BILLING,
        details={"invoice": "INV-7", "amount": 37800, "currency": "DKK"}, days_ago=30,
    )  # fmt: skip
    add_activity(
        store, account, "Dispute opened: invoice INV-7", type="dispute_opened",
        channel=Channel.BILLING, details={"invoice": "INV-7", "reason": "billed twice"},
        days_ago=4,
    )  # fmt: skip
    for number in range(EMAILS):
        add_activity(store, account, f"Opened email {number:03d}", days_ago=5 + number / 100)
    opened = BriefingDialog(runner, BriefingService(store), account, None, window_parent)
    with qtbot.waitSignal(opened.loaded, timeout=5000):
        opened.show()
    yield opened
    opened.close()


def export(qtbot: QtBot, dialog: BriefingDialog, target: Path) -> None:
    with qtbot.waitSignal(dialog.exported, timeout=10_000):
        dialog.export_pdf(target)


def page_texts(path: Path) -> list[str]:
    """Each page's words, single-spaced, ligatures ("ﬁ") read as their letters."""
    return [
        " ".join(unicodedata.normalize("NFKC", page.extract_text()).split())
        for page in PdfReader(path).pages
    ]


def test_every_page_is_headed_and_opened_groups_print_whole(
    qtbot: QtBot, dialog: BriefingDialog, tmp_path: Path, meeting_day: datetime
) -> None:
    assert dialog.briefing is not None
    group = next(g for g in dialog.briefing.timeline if g.count == EMAILS)
    dialog.toggle_group(group.key)
    target = tmp_path / "briefing.pdf"
    export(qtbot, dialog, target)

    pages = page_texts(target)
    assert len(pages) >= 2
    header = f"{NAME} · briefing for {day(meeting_day)}"
    for number, text in enumerate(pages, start=1):
        assert text.startswith(f"{header} page {number} of {len(pages)}"), text[:120]
    printed = " ".join(pages)
    assert all(f"Opened email {n:03d}" in printed for n in range(EMAILS))  # all of them
    title = PdfReader(target).metadata.title
    assert title == f"Briefing {NAME} {meeting_day.date().isoformat()}"


def test_a_closed_group_prints_one_line(
    qtbot: QtBot, dialog: BriefingDialog, tmp_path: Path
) -> None:
    target = tmp_path / "briefing.pdf"
    export(qtbot, dialog, target)
    pages = page_texts(target)
    assert len(pages) == 1  # a one-pager
    assert "Opened email 000" in pages[0] and "Opened email 001" not in pages[0]  # the newest


def test_printing_heads_its_pages_too(
    qtbot: QtBot, dialog: BriefingDialog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "printed.pdf"
    print_to_file(monkeypatch, target)
    dialog.ask_print()
    [page] = page_texts(target)
    assert page.startswith(f"{NAME} · briefing for") and "page 1 of 1" in page
    assert "STOP: open dispute, do not pitch" in page


class DocumentsAt:
    """Stands in for QStandardPaths, its Documents folder at `folder`."""

    StandardLocation = QStandardPaths.StandardLocation

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.asked: list[QStandardPaths.StandardLocation] = []

    def writableLocation(self, location: QStandardPaths.StandardLocation) -> str:  # noqa: N802
        self.asked.append(location)
        return self.folder


def offered_path(dialog: BriefingDialog, monkeypatch: pytest.MonkeyPatch) -> Path:
    """What Export PDF offers, its dialog cancelled."""
    offered: list[str] = []

    def ask(_parent: QWidget, _title: str, default: str, _filter: str) -> tuple[str, str]:
        offered.append(default)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", ask)
    dialog.ask_export()
    [path] = offered
    return Path(path)


def test_export_offers_a_safe_name_in_documents(
    dialog: BriefingDialog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, meeting_day: datetime
) -> None:
    documents = DocumentsAt(str(tmp_path))
    monkeypatch.setattr(ui.printing, "QStandardPaths", documents)
    path = offered_path(dialog, monkeypatch)
    day = meeting_day.date().isoformat()
    assert path == tmp_path / f"Briefing Østergaard Capital A-S {day}.pdf"
    assert documents.asked == [QStandardPaths.StandardLocation.DocumentsLocation]

    for none in ("", str(tmp_path / "no such folder")):  # no Documents folder: home
        monkeypatch.setattr(ui.printing, "QStandardPaths", DocumentsAt(none))
        assert offered_path(dialog, monkeypatch).parent == Path.home()


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        (
            "Briefing Østergaard Capital A/S 2026-12-05",
            "Briefing Østergaard Capital A-S 2026-12-05",
        ),
        ('Müller & Söhne: "Nord" <GmbH>', "Müller & Söhne- -Nord- -GmbH-"),
        ("Back\\slash | pipe? star*", "Back-slash - pipe- star-"),
        ("  Dots at the end...  ", "Dots at the end"),
        ("Tab\tand\nnewline", "Tab-and-newline"),
        ("CON", "CON-"),
        ("", "Document"),
    ],
)
def test_safe_file_names(name: str, safe: str) -> None:
    assert safe_file_name(name) == f"{safe}.pdf"


def test_safe_file_names_are_not_too_long() -> None:
    assert len(safe_file_name("A" * 500)) == ui.printing.FILE_NAME_CHARS + len(".pdf")


def test_the_window_says_where_it_saved_without_a_box(
    qtbot: QtBot, dialog: BriefingDialog, tmp_path: Path
) -> None:
    assert not dialog.saved.isVisible()
    target = tmp_path / safe_file_name("Briefing Østergaard Capital A/S")
    export(qtbot, dialog, target)
    assert dialog.saved.isVisible()
    said = re.sub(r"<[^>]+>", "", dialog.saved.text())
    assert said == f"Saved {target.name} in {tmp_path}"
    assert dialog.saved.toolTip() == str(target) and target.exists()
    assert QApplication.activeModalWidget() is None  # nothing to click away


def test_on_screen_the_warning_comes_first_then_talking_points_and_people(
    dialog: BriefingDialog,
) -> None:
    text = dialog.view.toPlainText()
    order = [
        "STOP: open dispute, do not pitch",
        "Dispute: invoice INV-7, 37,800 DKK (billed twice)",
        "Who resolves it: Sandra Kühn (billing)",
        "Talking points",
        "Who you meet",
        "Sofie Holm",
        "+45 86 12 34 56 · sofie@oc.example",
        "Service",
        "Billing",
        "Marketing",
        "Since your last visit" if "Since your last visit" in text else "Last 90 days",
    ]
    found = [text.find(words) for words in order]
    assert -1 not in found, [w for w, f in zip(order, found, strict=True) if f == -1]
    assert found == sorted(found)
