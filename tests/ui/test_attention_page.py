"""The needs-attention screen: conflicts and refused changes, settled by the rep."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from db.edits import LocalEditor
from db.store.local_store import Store
from db.store.models import Account, OutboxEntry, RemoteRecord, SetAsideRow
from desktop.runner import TaskRunner
from ui.correction_dialog import CorrectionDialog
from ui.main_window import ATTENTION, MainWindow


def test_settle_a_conflict_and_a_refused_change(
    window: MainWindow, qtbot: QtBot, territory: Store
) -> None:
    with territory.reading() as session:
        acme = session.scalars(select(Account).where(Account.name == "Acme Logistics")).one()
    refused_id, _ = LocalEditor(territory).create("account", name="Elsewhere", territory="south")
    conflict_id = uuid.uuid4()
    with territory.session() as session:
        for entry in session.scalars(select(OutboxEntry)):
            entry.status, entry.reason = "rejected", "the account's territory is not one of yours"
        session.add(
            RemoteRecord(
                entity="conflict",
                id=conflict_id,
                server_version=7,
                data={
                    "entity": "account",
                    "entity_id": str(acme.id),
                    "field": "city",
                    "client_value": "Lübeck",
                    "server_value": "Hamburg",
                    "kind": "both_changed",
                },
            )
        )
    page = window.attention_page
    with qtbot.waitSignal(page.count_changed) as counted:
        page.refresh()
    assert counted.args == [2]
    assert window.navigation.item(ATTENTION).text() == "Needs attention (2)"
    window.show_page(ATTENTION)
    assert not page.use_mine.isEnabled()

    page.conflict_table.selectRow(0)
    assert page.use_mine.isEnabled()
    with qtbot.waitSignal(page.count_changed) as counted:
        qtbot.mouseClick(page.use_mine, Qt.MouseButton.LeftButton)
    assert counted.args == [1]
    with territory.reading() as session:
        assert session.get(Account, acme.id).city == "Lübeck"  # type: ignore[union-attr]
        queued = [(e.entity, e.op) for e in session.scalars(select(OutboxEntry))]
    assert ("account", "set_fields") in queued and ("conflict", "set_fields") in queued

    page.rejected_table.selectRow(0)
    with qtbot.waitSignal(page.count_changed) as counted:
        qtbot.mouseClick(page.discard, Qt.MouseButton.LeftButton)
    assert counted.args == [0]
    assert window.navigation.item(ATTENTION).text() == "Needs attention"
    assert refused_id  # the local row stays; only the refused change was dropped


def test_correct_a_refused_change_and_send_it_again(
    window: MainWindow, qtbot: QtBot, territory: Store, runner: TaskRunner
) -> None:
    refused_id, _ = LocalEditor(territory).create("account", name="Elsewhere", territory="south")
    with territory.session() as session:
        for entry in session.scalars(select(OutboxEntry)):
            entry.status, entry.reason = "rejected", "the account's territory is not one of yours"
    page = window.attention_page
    with qtbot.waitSignal(page.count_changed):
        page.refresh()
    window.show_page(ATTENTION)
    page.rejected_table.selectRow(0)
    assert page.edit.isEnabled()

    def fill_in(values: dict[str, str]) -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, CorrectionDialog)
        for name, text in values.items():
            dialog.editors[name].setText(text)
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()

    # A number column given words: refused in plain words, nothing changes.
    QTimer.singleShot(0, lambda: fill_in({"employees": "many", "territory": "north"}))
    with qtbot.waitSignal(runner.failed, timeout=5000) as failed:
        qtbot.mouseClick(page.edit, Qt.MouseButton.LeftButton)
    assert "employees must be a number" in failed.args[0]
    assert len(page.rejected.rows) == 1

    QTimer.singleShot(0, lambda: fill_in({"employees": "", "territory": "north"}))
    with qtbot.waitSignal(page.count_changed) as counted:
        qtbot.mouseClick(page.edit, Qt.MouseButton.LeftButton)
    assert counted.args == [0]
    with territory.reading() as session:
        assert session.get(Account, refused_id).territory == "north"  # type: ignore[union-attr]
        [queued] = session.scalars(select(OutboxEntry)).all()
    assert (queued.status, queued.op, queued.fields["territory"]) == ("pending", "create", "north")


def test_rows_set_aside_are_listed_for_support_and_copied_whole(
    window: MainWindow, qtbot: QtBot, territory: Store
) -> None:
    row_id = uuid.uuid4()
    with territory.session() as session:
        session.add(
            SetAsideRow(
                entity="account",
                id=row_id,
                server_version=41,
                data={"name": "Bogus AG", "ladder_rung": "bogus"},
                reason="ladder_rung: must be one of 'prospect', 'customer'",
            )
        )
    page = window.attention_page
    window.show_page(ATTENTION)
    with qtbot.waitSignal(page.count_changed) as counted:
        page.refresh()
    assert counted.args == [0]  # support's to settle, not the rep's: no badge
    assert page.set_aside_table.isVisible() and page.set_aside.rowCount() == 1
    assert not page.copy_set_aside.isEnabled()
    page.set_aside_table.selectRow(0)
    qtbot.mouseClick(page.copy_set_aside, Qt.MouseButton.LeftButton)
    copied = json.loads(QApplication.clipboard().text())
    assert copied["id"] == str(row_id) and copied["data"]["ladder_rung"] == "bogus"
    assert "ladder_rung" in copied["reason"]


def test_conflicts_and_refusals_name_records_and_fields_as_a_rep_knows_them(
    window: MainWindow, qtbot: QtBot, territory: Store
) -> None:
    with territory.reading() as session:
        acme = session.scalars(select(Account).where(Account.name == "Acme Logistics")).one()
    editor = LocalEditor(territory)
    matteo, _ = editor.create("contact", account_id=acme.id, first_name="Matteo", last_name="Bruno")
    lead, _ = editor.create(
        "lead", account_id=acme.id, contact_id=matteo, campaign="webinar",
        handed_over_at=datetime.now(UTC),
    )  # fmt: skip
    editor.create("account", name="Elsewhere", territory="south")
    with territory.session() as session:
        for entry in session.scalars(select(OutboxEntry)):
            entry.status, entry.reason = "rejected", "not one of your territories"
        session.add(
            RemoteRecord(
                entity="conflict",
                id=uuid.uuid4(),
                server_version=7,
                data={"entity": "lead", "entity_id": str(lead), "field": "decided_by",
                      "client_value": "ana", "server_value": "bo", "kind": "both_changed"},
            )
        )  # fmt: skip
    page = window.attention_page
    with qtbot.waitSignal(page.count_changed):
        page.refresh()
    shown = page.conflicts.index(0, 0)
    assert page.conflicts.data(shown) == "Lead: Matteo Bruno, Acme Logistics"
    assert page.conflicts.data(page.conflicts.index(0, 1)) == "Decided by"
    changes = [
        page.rejected.data(page.rejected.index(row, 0)) for row in range(page.rejected.rowCount())
    ]
    assert "New account: Elsewhere" in changes
    assert "New contact: Matteo Bruno, Acme Logistics" in changes
    assert page._summary.text() == "1 conflict and 3 refused changes."
    assert "_" not in " ".join(changes)
