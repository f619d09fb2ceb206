"""The undo bar in the real window: ticking a follow-up, accepting or rejecting a lead and
moving an account on the ladder say what happened and can be taken back for a few seconds;
the bar hides itself when its time is up, and Undo then does nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from db.edits import LocalEditor
from db.enums import LadderRung, LeadStatus, RejectReason
from db.field.followups import FollowUps
from db.field.ladder import Ladder
from db.field.leads import LeadDesk
from db.store.local_store import Store
from db.store.models import Account, OutboxEntry
from desktop.runner import TaskRunner
from tests.helpers.factories import add_account, add_contact
from ui.followups_page import FollowUpsPage
from ui.leads_page import ACCEPT, REJECT, LeadsPage
from ui.main_window import FOLLOW_UPS, LEADS, MainWindow
from ui.undo_bar import TIMEOUT_MS, UndoBar, UndoOffer


def focus(qtbot: QtBot, window: MainWindow, widget: QWidget) -> None:
    """The window active and the widget focused, so shortcuts reach it as a rep's would."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=2000)


def ctrl_z(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.keyClick(widget, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)


# -- follow-ups ----------------------------------------------------------------------------


def tick_send_the_quote(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> tuple[FollowUpsPage, uuid.UUID]:
    """Two open follow-ups; the first, "Send the quote", ticked off with Space."""
    account = add_account(territory, "Brightwater Foods")
    follow_ups = FollowUps(territory)
    task_id, _ = follow_ups.add(account, "Send the quote", date.today())
    follow_ups.add(account, "Book the plant tour", date.today() + timedelta(days=5))
    page = window.followups_page
    with qtbot.waitSignal(page.loaded, timeout=5000):
        window.show_page(FOLLOW_UPS)
    focus(qtbot, window, page.table)
    page.table.selectRow(0)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        qtbot.keyClick(page.table, Qt.Key.Key_Space)
    assert [r.title for r in page.model.rows] == ["Book the plant tour"]
    return page, task_id


def is_done(store: Store, task_id: uuid.UUID) -> bool:
    (row,) = [r for r in FollowUps(store).mine(include_done=True) if r.id == task_id]
    return row.done


def test_ticking_a_follow_up_offers_undo_and_ctrl_z_reopens_it(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> None:
    page, task_id = tick_send_the_quote(qtbot, window, territory)
    bar = page.undo_bar
    assert bar.isVisible()
    assert bar.message.text() == "Follow-up “Send the quote” marked done"
    assert page.table.hasFocus()  # shown beside the work, never taking the keys
    assert is_done(territory, task_id)

    with qtbot.waitSignal(page.loaded, timeout=5000):
        ctrl_z(qtbot, page.table)
    assert not bar.isVisible() and bar.offered is None
    assert not is_done(territory, task_id)
    assert [r.title for r in page.model.rows] == ["Send the quote", "Book the plant tour"]


def test_the_bar_hides_when_its_time_is_up_and_undo_then_does_nothing(
    qtbot: QtBot, window: MainWindow, territory: Store, runner: TaskRunner
) -> None:
    page, task_id = tick_send_the_quote(qtbot, window, territory)
    bar = page.undo_bar
    assert bar.timer.isActive() and bar.timer.interval() == TIMEOUT_MS
    with qtbot.waitSignal(bar.expired, timeout=1000):
        bar.timer.timeout.emit()  # the countdown's end, without waiting for it
    assert not bar.isVisible() and bar.offered is None

    with qtbot.assertNotEmitted(runner.data_changed, wait=200):
        ctrl_z(qtbot, page.table)
        bar.undo()
    assert is_done(territory, task_id)


# -- leads ---------------------------------------------------------------------------------


def leads_page_with_two_leads(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> tuple[LeadsPage, uuid.UUID]:
    """Two new leads on the leads page; returns the one for Matteo Bruno, second in the
    list (an older hand-over), selected."""
    account = add_account(territory, "Brightwater Foods")
    matteo = add_contact(territory, account, "Matteo", "Bruno", title="COO")
    editor = LocalEditor(territory)
    editor.create(
        "lead", account_id=account, campaign="ebook-cold-chain", score=60,
        handed_over_at=datetime(2026, 11, 2, tzinfo=UTC),
    )  # fmt: skip
    lead_id, _ = editor.create(
        "lead", account_id=account, contact_id=matteo, campaign="webinar-warehouse", score=80,
        handed_over_at=datetime(2026, 11, 1, tzinfo=UTC),
    )  # fmt: skip
    page = window.leads_page
    with qtbot.waitSignal(page.loaded, timeout=5000):
        window.show_page(LEADS)
    page.table.selectRow(1)
    assert page.selected() is not None and page.selected().id == lead_id
    return page, lead_id


def decide(qtbot: QtBot, page: LeadsPage, kind: str) -> None:
    page.ask(kind)
    if kind == REJECT:
        page.dialog.choice.setCurrentIndex(page.dialog.choice.findData(RejectReason.NO_NEED.value))
        page.dialog.words.setPlainText("they build their own")
    page.dialog.buttons.button(page.dialog.buttons.StandardButton.Ok).click()
    qtbot.waitUntil(page.undo_bar.isVisible, timeout=5000)


def status_in_store(store: Store, lead_id: uuid.UUID) -> LeadStatus:
    (row,) = [r for r in LeadDesk(store).leads(include_settled=True) if r.id == lead_id]
    return row.status


def test_accept_then_undo_puts_the_lead_back_to_new_and_keeps_it_selected(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> None:
    page, lead_id = leads_page_with_two_leads(qtbot, window, territory)
    decide(qtbot, page, ACCEPT)
    assert page.undo_bar.message.text() == "Lead Matteo Bruno accepted"
    qtbot.waitUntil(lambda: page.model.rows[1].status is LeadStatus.ACCEPTED, timeout=5000)
    assert status_in_store(territory, lead_id) is LeadStatus.ACCEPTED

    qtbot.mouseClick(page.undo_bar.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: any(r.id == lead_id and r.status is LeadStatus.NEW for r in page.model.rows),
        timeout=5000,
    )
    assert not page.undo_bar.isVisible()
    (row,) = [r for r in LeadDesk(territory).leads() if r.id == lead_id]
    assert (row.status, row.reject_reason, row.decision_note) == (LeadStatus.NEW, None, None)
    assert page.selected() is not None and page.selected().id == lead_id
    assert page.accept_button.isEnabled() and not page.outcome_button.isEnabled()


def test_reject_then_undo_brings_the_lead_back_new_and_selected(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> None:
    page, lead_id = leads_page_with_two_leads(qtbot, window, territory)
    decide(qtbot, page, REJECT)
    assert page.undo_bar.message.text() == "Lead Matteo Bruno rejected"
    qtbot.waitUntil(lambda: len(page.model.rows) == 1, timeout=5000)
    assert page.selected() is not None and page.selected().id != lead_id  # it left the list

    qtbot.mouseClick(page.undo_bar.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(page.model.rows) == 2, timeout=5000)
    qtbot.waitUntil(
        lambda: page.selected() is not None and page.selected().id == lead_id, timeout=5000
    )
    (row,) = [r for r in LeadDesk(territory).leads() if r.id == lead_id]
    assert (row.status, row.reject_reason, row.decision_note) == (LeadStatus.NEW, None, None)
    assert not page.undo_bar.isVisible()


# -- the ladder ----------------------------------------------------------------------------


def rung_of(store: Store, account_id: uuid.UUID) -> LadderRung:
    with store.reading() as session:
        account = session.get(Account, account_id)
        assert account is not None
        return account.ladder_rung


def test_a_ladder_move_then_undo_puts_the_rung_back_and_leaves_no_step(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> None:
    pane = window.accounts_page.pane
    assert pane.detail is not None and pane.detail.name == "Acme Logistics"
    acme = pane.detail.id
    dialog = window.open_ladder(acme)
    bar = UndoBar.over(window.centralWidget())
    assert UndoBar.over(window.centralWidget()) is bar  # made once, then the same one
    dialog.undo_offered.connect(bar.offer)  # what MainWindow.open_ladder connects
    qtbot.waitUntil(lambda: dialog.standing is not None, timeout=5000)
    dialog.choose(LadderRung.CLIENT)
    dialog.reason.setText("Signed the frame contract")
    with qtbot.waitSignal(dialog.undo_offered, timeout=5000):
        dialog.accept()
    assert not dialog.isVisible()  # the dialog closes; the window's bar says what happened
    assert bar.isVisible() and bar.message.text() == "Acme Logistics moved to Client"
    qtbot.waitUntil(lambda: pane.ladder_bar.rung is LadderRung.CLIENT, timeout=5000)

    focus(qtbot, window, window.accounts_page.table)
    ctrl_z(qtbot, window.accounts_page.table)  # anywhere in the window
    qtbot.waitUntil(lambda: pane.ladder_bar.rung is LadderRung.CUSTOMER, timeout=5000)
    assert not bar.isVisible()
    assert rung_of(territory, acme) is LadderRung.CUSTOMER
    assert Ladder(territory).history(acme) == []  # taken back, not a second step
    with territory.reading() as session:
        last = session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq.desc())).first()
        assert last is not None and (last.entity, last.op) == ("ladder_change", "delete")


# -- the bar itself ------------------------------------------------------------------------


def test_one_offer_per_window_and_a_timeout_of_ones_own(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    layout = QVBoxLayout(window)
    first, second = UndoBar(window, timeout_ms=50), UndoBar(window)
    layout.addWidget(first)
    layout.addWidget(second)
    window.show()
    assert first.timer.interval() == 50 and second.timer.interval() == TIMEOUT_MS
    undone: list[str] = []
    first.offer(UndoOffer("Follow-up “A” marked done", lambda: undone.append("A")))
    second.offer(UndoOffer("Lead B accepted", lambda: undone.append("B")))
    assert not first.isVisible() and first.offered is None  # the newer offer wins
    with qtbot.assertNotEmitted(first.undo_requested):
        first.undo()
    with qtbot.waitSignal(second.undo_requested) as taken:
        second.undo_button.click()
    assert undone == ["B"] and taken.args[0].text == "Lead B accepted"
    second.undo()  # once only
    assert undone == ["B"]
    with qtbot.assertNotEmitted(second.expired):
        second.timer.timeout.emit()  # nothing on show: nothing runs out
