"""The relationship ladder in the real window: move an account with a reason from its pane,
see the history, and the Accounts list's rung filter counting per rung."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from db.enums import LadderRung
from db.field.ladder import Ladder
from db.profiles.book import USERNAME
from db.store.local_store import Store
from db.store.models import OutboxEntry, SyncState
from ui.ladder_dialog import LadderDialog
from ui.main_window import TODAY, MainWindow

# The conftest territory: 450 numbered accounts taking the six rungs in turn (75 each),
# and Acme Logistics, a customer, first in the list and shown in the pane.
EACH = 75


def acme_id(window: MainWindow) -> uuid.UUID:
    detail = window.accounts_page.pane.detail
    assert detail is not None and detail.name == "Acme Logistics"
    return detail.id


def wait_for_counts(qtbot: QtBot, window: MainWindow, **expected: int) -> None:
    page = window.accounts_page

    def counted() -> bool:
        counts = page.rung_counts
        return counts is not None and all(counts[LadderRung(r)] == n for r, n in expected.items())

    qtbot.waitUntil(counted, timeout=5000)


def wait_for_dialog(qtbot: QtBot, window: MainWindow) -> LadderDialog:
    qtbot.waitUntil(
        lambda: (
            window.ladder_dialog is not None
            and window.ladder_dialog.isVisible()
            and window.ladder_dialog.standing is not None
        ),
        timeout=5000,
    )
    assert window.ladder_dialog is not None
    return window.ladder_dialog


def outbox_size(store: Store) -> int:
    with store.reading() as session:
        return int(session.execute(select(func.count()).select_from(OutboxEntry)).scalar_one())


def test_move_acme_up_from_its_pane_and_see_it_everywhere(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> None:
    with territory.session() as session:
        session.add(SyncState(key=USERNAME, value="ria"))
    page, pane = window.accounts_page, window.accounts_page.pane
    acme = acme_id(window)
    wait_for_counts(qtbot, window, customer=EACH + 1, client=EACH)
    assert page.rung_filter.itemText(0) == f"All rungs ({6 * EACH + 1})"
    assert page.rung_filter.itemText(LadderRung.CLIENT.step) == f"Client ({EACH})"
    assert pane.ladder_bar.rung is LadderRung.CUSTOMER

    qtbot.mouseClick(pane.ladder_bar, Qt.MouseButton.LeftButton)  # the bar opens the dialog
    dialog = wait_for_dialog(qtbot, window)
    assert dialog.windowTitle() == "Relationship ladder · Acme Logistics"
    assert dialog.rung_buttons[LadderRung.CUSTOMER].isChecked()  # the current one, marked
    assert dialog.rung_buttons[LadderRung.CUSTOMER].font().bold()
    assert dialog._steps[LadderRung.CLIENT].text() == "↑ 1 step up"
    assert dialog._steps[LadderRung.PROSPECT].text() == "↓ 1 step down"
    assert dialog.history_model.rowCount() == 0
    assert not dialog.ok.isEnabled()

    # Keyboard: the current rung has the focus; Up climbs the ladder (partner on top).
    qtbot.keyClick(dialog.rung_buttons[LadderRung.CUSTOMER], Qt.Key.Key_Up)
    assert dialog.chosen is LadderRung.CLIENT
    assert not dialog.ok.isEnabled()  # still no reason
    qtbot.keyClicks(dialog.reason, "Signed the three-year frame contract")
    assert dialog.ok.isEnabled() and dialog.ok.text() == "Move up to Client"

    with qtbot.waitSignal(dialog.moved, timeout=5000) as moved:
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)  # Enter: the default button
    assert moved.args[0].touches("account") and moved.args[0].touches("ladder_change")
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)

    # The runner's data_changed refreshes the pane, the list and the rung filter's counts.
    qtbot.waitUntil(lambda: pane.ladder_bar.rung is LadderRung.CLIENT, timeout=5000)
    assert pane.detail is not None and pane.detail.ladder_rung is LadderRung.CLIENT
    qtbot.waitUntil(
        lambda: bool(page.model.rows) and page.model.rows[0].ladder_rung is LadderRung.CLIENT,
        timeout=5000,
    )
    wait_for_counts(qtbot, window, customer=EACH, client=EACH + 1)
    assert page.rung_filter.itemText(LadderRung.CLIENT.step) == f"Client ({EACH + 1})"
    assert page.rung_filter.itemText(0) == f"All rungs ({6 * EACH + 1})"

    # The history lists the move when the dialog opens again (here from the button).
    qtbot.mouseClick(pane.ladder_button, Qt.MouseButton.LeftButton)
    again = wait_for_dialog(qtbot, window)
    assert again is dialog and again.reason.text() == ""  # reset for the next move
    assert again.rung_buttons[LadderRung.CLIENT].isChecked()
    (step,) = again.history_model.rows
    assert (step.from_rung, step.to_rung) == (LadderRung.CUSTOMER, LadderRung.CLIENT)
    assert step.reason == "Signed the three-year frame contract"
    cells = [again.history_model.index(0, c).data() for c in range(4)]
    assert cells[1:] == ["↑ Customer → Client", "Signed the three-year frame contract", "ria"]
    again.reject()
    assert Ladder(territory).history(acme) == [step]


def test_ok_needs_a_reason_and_another_rung_and_cancel_changes_nothing(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> None:
    pane = window.accounts_page.pane
    queued = outbox_size(territory)
    qtbot.mouseClick(pane.ladder_button, Qt.MouseButton.LeftButton)
    dialog = wait_for_dialog(qtbot, window)
    qtbot.keyClicks(dialog.reason, "Nothing really changed")
    assert not dialog.ok.isEnabled()  # a reason, but the current rung
    assert "Choose the rung" in dialog.hint.text()

    dialog.choose(LadderRung.PARTNER)
    assert dialog.ok.isEnabled() and dialog.ok.text() == "Move up to Partner"
    dialog.reason.setText("   ")
    assert not dialog.ok.isEnabled()  # blanks are no reason
    assert "Say why" in dialog.hint.text()
    dialog.choose(LadderRung.PROSPECT)
    dialog.reason.setText("Went with a competitor")
    assert dialog.ok.text() == "Move down to Prospect"

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Cancel leaves everything as it was
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    assert outbox_size(territory) == queued
    assert Ladder(territory).history(acme_id(window)) == []
    assert pane.ladder_bar.rung is LadderRung.CUSTOMER


def test_a_refused_move_is_explained_in_the_dialog(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> None:
    window.open_ladder(acme_id(window))
    dialog = wait_for_dialog(qtbot, window)
    dialog.choose(LadderRung.CLIENT)
    dialog.reason.setText("Signed")
    Ladder(territory).move(acme_id(window), LadderRung.CLIENT, "Moved on another device")
    dialog.accept()
    qtbot.waitUntil(dialog.error.isVisible, timeout=5000)
    assert dialog.error.text() == "Acme Logistics is already a client"
    assert dialog.isVisible()
    # Read again: the history shows the other move, and OK waits for another rung.
    qtbot.waitUntil(lambda: len(dialog.history_model.rows) == 1, timeout=5000)
    assert dialog.rung_buttons[LadderRung.CLIENT].isChecked() and not dialog.ok.isEnabled()
    dialog.reject()


def test_ctrl_l_opens_the_history_while_the_accounts_page_is_shown(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> None:
    acme = acme_id(window)
    ladder = Ladder(territory)
    ladder.move(acme, LadderRung.CLIENT, "Frame contract")
    ladder.move(acme, LadderRung.SUPPORTER, "Referred their sister company")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)

    window.show_page(TODAY)  # elsewhere Ctrl+L is nobody's
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.ladder_dialog is None

    window.show_page(1)
    window.accounts_page.table.setFocus()
    qtbot.keyClick(window.accounts_page.table, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    dialog = wait_for_dialog(qtbot, window)
    assert [s.reason for s in dialog.history_model.rows] == [
        "Referred their sister company",
        "Frame contract",
    ]
    assert dialog._history_title.text() == "History (2 moves)"
    assert dialog.rung_buttons[LadderRung.SUPPORTER].isChecked()
    dialog.reject()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    assert [s.reason for s in ladder.history(acme)] == [
        "Referred their sister company",
        "Frame contract",
    ]


def test_the_rung_counts_follow_the_search_text(qtbot: QtBot, window: MainWindow) -> None:
    page = window.accounts_page
    wait_for_counts(qtbot, window, customer=EACH + 1)
    qtbot.keyClicks(page.search_box, "acme")
    wait_for_counts(qtbot, window, prospect=0, customer=1, client=0, partner=0)
    assert page.rung_filter.itemText(0) == "All rungs (1)"
    assert page.rung_filter.itemText(LadderRung.CUSTOMER.step) == "Customer (1)"

    # Filtering by a rung narrows the list, not the counts beside each rung.
    page.rung_filter.setCurrentIndex(LadderRung.CLIENT.step)
    qtbot.waitUntil(lambda: page.model.total == 0, timeout=5000)
    assert page.rung_filter.itemText(LadderRung.CUSTOMER.step) == "Customer (1)"
    assert page.rung_filter.currentText() == "Client (0)"

    page.search_box.clear()
    wait_for_counts(qtbot, window, customer=EACH + 1, client=EACH)
    assert page.rung_filter.currentText() == f"Client ({EACH})"
