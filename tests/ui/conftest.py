"""A real main window on a real store, for pytest-qt tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from db.enums import Channel, TeamRole
from db.store.local_store import Store
from desktop.app import build_window
from desktop.runner import TaskRunner
from tests.helpers.factories import (
    add_account,
    add_activity,
    add_contact,
    add_meeting,
    add_note,
    add_numbered_accounts,
    add_team_member,
)
from ui.main_window import ACCOUNTS, MainWindow

FILLER_ACCOUNTS = 450  # more than two pages of the lazy list


@pytest.fixture
def territory(store: Store) -> Store:
    add_numbered_accounts(store, FILLER_ACCOUNTS)
    acme = add_account(store, "Acme Logistics", industry="Logistics", city="Hamburg")
    zoe = add_contact(
        store, acme, "Zoë", "Núñez", title="Head of Procurement", email="zoe@acme.example"
    )
    add_team_member(store, acme, "Sam Lee", TeamRole.SERVICE_REP)
    add_activity(store, acme, "Attended webinar: Pricing in 2026", days_ago=3)
    add_activity(
        store,
        acme,
        "Dispute opened: invoice INV-1",
        days_ago=1,
        channel=Channel.SERVICE,
        type="dispute_opened",
    )
    add_note(store, acme, "Wants a cold-chain pilot before March.")
    today_at_3pm = datetime.combine(date.today(), time(15)).astimezone()
    add_meeting(store, acme, today_at_3pm, "Quarterly review", (zoe,))
    return store


@pytest.fixture
def runner() -> TaskRunner:
    return TaskRunner()


@pytest.fixture
def window(qtbot: QtBot, territory: Store, runner: TaskRunner) -> Iterator[MainWindow]:
    main_window = build_window(territory, runner)
    qtbot.addWidget(main_window)
    with qtbot.waitSignal(main_window.ready, timeout=10_000):
        main_window.show()
    yield main_window
    main_window.close()
    assert runner.shutdown()


def search_to_acme(qtbot: QtBot, window: MainWindow) -> None:
    """Types "Acme" into the account search, as a rep would, until its pane shows."""
    window.show_page(ACCOUNTS)
    window.accounts_page.focus_search()
    qtbot.keyClicks(window.accounts_page.search_box, "Acme")
    pane = window.accounts_page.pane
    qtbot.waitUntil(
        lambda: pane.detail is not None and pane.detail.name == "Acme Logistics", timeout=5000
    )


@pytest.fixture
def window_parent(qtbot: QtBot) -> QWidget:
    """A parent for windows that free themselves once closed, as the main window is in the
    app: pytest-qt closes the widgets it was given after the test, and cannot close one Qt
    has already freed; their parent it can."""
    parent = QWidget()
    qtbot.addWidget(parent)
    return parent
