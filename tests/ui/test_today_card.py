"""Today leads with the next meeting (a Briefing button, the account) and the day's other
work (overdue follow-ups, new leads, as links to their pages); a first run, before any
sync, says how to get a territory."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pytestqt.qtbot import QtBot

from db.edits import LocalEditor
from db.field.agenda import Agenda
from db.field.followups import FollowUps
from db.field.leads import LeadDesk
from db.labels import plural
from db.store.local_store import Store
from desktop.app import build_window
from desktop.runner import TaskRunner
from tests.helpers.factories import add_account, add_meeting
from ui.main_window import FOLLOW_UPS, LEADS, TODAY, MainWindow
from ui.next_meeting_card import FIRST_RUN, next_meeting


def test_the_next_meeting_is_the_first_not_yet_over(window: MainWindow) -> None:
    rows = window.today_page.model.rows
    later = datetime.now(UTC) + timedelta(days=30)
    assert next_meeting(rows, later) is None
    earlier = min(m.starts_at for m in rows) - timedelta(hours=1)
    assert next_meeting(rows, earlier) == min(rows, key=lambda m: m.starts_at)
    assert plural(1, "match", "matches") == "1 match" and plural(3, "new lead") == "3 new leads"


def test_today_leads_with_the_next_meeting_and_links_to_the_days_work(
    qtbot: QtBot, territory: Store, window: MainWindow
) -> None:
    acme = next(m.account_id for m in window.today_page.model.rows)
    tomorrow = datetime.combine(date.today() + timedelta(days=1), datetime.min.time())
    add_meeting(territory, acme, tomorrow.astimezone() + timedelta(hours=9), "Plant tour")
    follow_ups = FollowUps(territory)
    follow_ups.add(acme, "Send the quote", date.today() - timedelta(days=2))
    follow_ups.add(acme, "Call back", date.today())
    LocalEditor(territory).create(
        "lead", account_id=acme, campaign="webinar", handed_over_at=datetime.now(UTC)
    )
    today = window.today_page
    with qtbot.waitSignal(today.meetings_loaded, timeout=5000):
        today.refresh()
    card = today.card
    qtbot.waitUntil(lambda: "overdue" in card.agenda.text())
    expected = next_meeting(today.model.rows, datetime.now(UTC))
    assert expected is not None and card.meeting == expected  # today's, or tomorrow's tour
    assert card.heading.text().startswith("Next: ") and "Acme Logistics" in card.heading.text()
    assert card.briefing_button.isVisible()
    assert "1 follow-up overdue" in card.agenda.text()
    assert "1 follow-up due today" in card.agenda.text() and "1 new lead" in card.agenda.text()
    assert Agenda(territory).counts().new_leads == 1

    card.briefing_button.click()
    qtbot.waitUntil(lambda: len(window.briefing_dialogs) == 1, timeout=5000)
    card.agenda.linkActivated.emit("followups")
    assert window.pages.currentIndex() == FOLLOW_UPS
    card.agenda.linkActivated.emit("leads")
    assert window.pages.currentIndex() == LEADS


def test_a_first_run_explains_sign_in_and_sync(qtbot: QtBot, store: Store) -> None:
    runner = TaskRunner()
    window = build_window(store, runner)
    qtbot.addWidget(window)
    window.show()
    assert window.pages.currentIndex() == TODAY
    card = window.today_page.card
    qtbot.waitUntil(lambda: card.details.text() == FIRST_RUN, timeout=5000)
    assert "Ctrl+Shift+L" in FIRST_RUN and "F5" in FIRST_RUN
    assert not card.briefing_button.isVisible()
    acme = add_account(store, "Acme")  # the first sync brought the territory
    soon = datetime.now(UTC) + timedelta(days=1)
    add_meeting(store, acme, soon, "Kick-off")
    window.today_page.refresh()
    qtbot.waitUntil(lambda: card.heading.text().startswith("Next: "), timeout=5000)
    assert "Acme" in card.heading.text() and card.details.text() != FIRST_RUN
    window.close()
    assert runner.shutdown()


def test_the_card_counts_new_leads_as_the_leads_page_lists_them(store: Store) -> None:
    """Live leads of live accounts: a closed account's lead is on neither."""
    editor = LocalEditor(store)
    kept, closed = add_account(store, "Acme Logistics"), add_account(store, "Borealis Freight")
    for account in (kept, closed, closed):
        editor.create(
            "lead", account_id=account, campaign="webinar", handed_over_at=datetime.now(UTC)
        )
    assert Agenda(store).counts().new_leads == 3
    editor.delete("account", closed)
    assert Agenda(store).counts().new_leads == 1
    assert LeadDesk(store).counts().new == 1
