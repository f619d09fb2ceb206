"""Leads and marketing holds on screen: accept, reject with a reason, the outcome; a hold
placed and lifted from the account pane."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from db.edits import LocalEditor
from db.enums import LeadOutcome, LeadStatus, RejectReason
from db.field.holds import ContactHolds
from db.field.leads import LeadDesk
from db.store.local_store import Store
from tests.helpers.factories import add_account
from tests.ui.conftest import search_to_acme
from ui.leads_page import ACCEPT, OUTCOME, REJECT, LeadsPage
from ui.main_window import LEADS, MainWindow


def leads_page_with_two_leads(qtbot: QtBot, window: MainWindow, territory: Store) -> LeadsPage:
    """Two leads from marketing for one account, on the leads page."""
    acme = add_account(territory, "Brightwater Foods")
    editor = LocalEditor(territory)
    for day, campaign in ((1, "webinar-warehouse"), (2, "ebook-cold-chain")):
        editor.create(
            "lead", account_id=acme, campaign=campaign, score=60,
            handed_over_at=datetime(2026, 11, day, tzinfo=UTC),
        )  # fmt: skip
    page = window.leads_page
    with qtbot.waitSignal(page.loaded, timeout=5000):
        window.show_page(LEADS)
    return page


def test_accept_reject_and_an_outcome_from_the_leads_page(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> None:
    page = leads_page_with_two_leads(qtbot, window, territory)
    assert [r.campaign for r in page.model.rows] == ["ebook-cold-chain", "webinar-warehouse"]
    assert "2 new" in page._summary.text()
    assert page.accept_button.isEnabled() and not page.outcome_button.isEnabled()

    page.ask(REJECT)
    page.dialog.choice.setCurrentIndex(page.dialog.choice.findData(RejectReason.NO_BUDGET.value))
    page.dialog.words.setPlainText("frozen until 2028")
    page.dialog.buttons.button(page.dialog.buttons.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: len(page.model.rows) == 1, timeout=5000)
    assert [r.campaign for r in page.model.rows] == ["webinar-warehouse"]

    page.table.selectRow(0)
    page.ask(ACCEPT)
    page.dialog.buttons.button(page.dialog.buttons.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: page.model.rows[0].status is LeadStatus.ACCEPTED, timeout=5000)
    assert page.outcome_button.isEnabled()

    page.ask(OUTCOME)
    page.dialog.choice.setCurrentIndex(page.dialog.choice.findData(LeadOutcome.WON.value))
    page.dialog.buttons.button(page.dialog.buttons.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: page.model.rows == [], timeout=5000)  # nothing waits for the rep
    settled = {r.campaign: r for r in LeadDesk(territory).leads(include_settled=True)}
    assert settled["webinar-warehouse"].outcome is LeadOutcome.WON
    assert settled["ebook-cold-chain"].reject_reason is RejectReason.NO_BUDGET


def test_a_hold_placed_and_lifted_from_the_account_pane(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> None:
    search_to_acme(qtbot, window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(
        window,
        Qt.Key.Key_H,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: getattr(window, "hold_dialog", None) is not None, timeout=5000)
    dialog = window.hold_dialog
    qtbot.waitUntil(lambda: dialog.contact.count() == 1, timeout=5000)
    # The list of running holds is read apart from the contacts: wait for it too.
    qtbot.waitUntil(lambda: dialog.running.count() > 0, timeout=5000)
    assert "None: marketing may write" in dialog.running.item(0).text()
    dialog.campaign.setText("Winter offer")
    dialog.reason.setText("final negotiation")
    with qtbot.waitSignal(dialog.changed, timeout=5000):
        dialog.place_button.click()
    qtbot.waitUntil(lambda: "Winter offer" in dialog.running.item(0).text(), timeout=5000)
    (hold,) = ContactHolds(territory).active()
    assert (hold.contact_name, hold.campaign) == ("Zoë Núñez", "Winter offer")
    assert hold.expires_on == date.today() + timedelta(days=60)
    dialog.running.setCurrentRow(0)
    with qtbot.waitSignal(dialog.changed, timeout=5000):
        dialog.lift_button.click()
    assert ContactHolds(territory).active() == []


def test_no_reason_is_chosen_for_the_rep_o_waits_for_the_outcome_button_and_a_lead_stays_selected(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> None:
    page = leads_page_with_two_leads(qtbot, window, territory)

    page.ask(REJECT)
    ok = page.dialog.buttons.button(page.dialog.buttons.StandardButton.Ok)
    assert page.dialog.choice.currentData() is None and not ok.isEnabled()
    page.dialog.choice.setCurrentIndex(page.dialog.choice.findData(RejectReason.NO_BUDGET.value))
    assert ok.isEnabled()
    page.dialog.close()

    # O on a lead never accepted: nothing opens (the Outcome button is disabled too).
    page.table.setFocus()
    page.table.selectRow(1)
    assert not page.outcome_button.isEnabled()
    opened_before = getattr(page, "dialog", None)
    qtbot.keyClick(page.table, Qt.Key.Key_O)
    assert getattr(page, "dialog", None) is opened_before

    second = page.model.rows[1].id
    page.ask(ACCEPT)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.dialog.buttons.button(page.dialog.buttons.StandardButton.Ok).click()
    assert page.selected() is not None and page.selected().id == second  # kept, not row 0
    assert page.outcome_button.isEnabled()
