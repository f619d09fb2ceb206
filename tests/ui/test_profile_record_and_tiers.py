"""Name, job title and company from the contact record; tiers and key contacts on screen."""

from __future__ import annotations

import uuid

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from db.edits import LocalEditor
from db.profiles.book import ProfileBook
from db.profiles.definition import load_definition
from db.profiles.tiers import counted, key
from db.store.local_store import Store
from db.store.models import OutboxEntry, ProfileAnswer
from desktop.runner import TaskRunner
from sync.enums import DealRole
from tests.helpers.factories import add_account, add_contact
from tests.helpers.profile_answers import answer_to
from ui.main_window import MainWindow
from ui.profile_dialog import ProfileDialog
from ui.profiles_page import PROFILE_COLUMN, ProfilesPage

MACKAY = load_definition()
KEY_IDS = [q.id for q in key(MACKAY)]
# Counted questions that are neither key nor sensitive (no consent needed).
PLAIN = [q.id for q in counted(MACKAY) if not q.briefing and not q.sensitive]


@pytest.fixture
def account(store: Store) -> uuid.UUID:
    return add_account(store, "Acme Logistics")


@pytest.fixture
def contact(store: Store, account: uuid.UUID) -> uuid.UUID:
    return add_contact(store, account, "Robert", "Stone", title="Head of Procurement")


def open_dialog(
    qtbot: QtBot, parent: QWidget, store: Store, runner: TaskRunner, contact: uuid.UUID
) -> ProfileDialog:
    dialog = ProfileDialog(runner, ProfileBook(store), contact, parent)
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        pass
    dialog.show()
    return dialog


def shown(dialog: ProfileDialog) -> dict[str, object]:
    return {q: dialog.editors[q].value() for q in ("name", "job_title", "company")}


def stored_answers(store: Store) -> int:
    with store.reading() as session:
        return session.scalar(select(func.count()).select_from(ProfileAnswer)) or 0


def test_the_record_fills_name_title_and_company_and_follows_a_rename(
    qtbot: QtBot,
    window_parent: QWidget,
    store: Store,
    runner: TaskRunner,
    account: uuid.UUID,
    contact: uuid.UUID,
) -> None:
    dialog = open_dialog(qtbot, window_parent, store, runner, contact)
    assert shown(dialog) == {
        "name": "Robert Stone",
        "job_title": "Head of Procurement",
        "company": "Acme Logistics",
    }
    for question_id in ("name", "job_title", "company"):
        assert dialog.editors[question_id].from_contact
        assert dialog.record_notes[question_id].text() == "from the contact"
    assert dialog.meter.value() == 0 and dialog.meter.maximum() == 63
    assert dialog.tier.text().startswith("Empty · 0 of 16 key questions")

    name = dialog.editors["name"].widget
    name.setFocus()
    with qtbot.assertNotEmitted(dialog.saved, wait=900):  # past the typing pause
        qtbot.keyClicks(name, "Dr ")
        dialog.flush()
    assert shown(dialog)["name"] == "Robert Stone"  # read-only: change it on the contact

    editor = LocalEditor(store)
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        runner.write(lambda: editor.set_fields("contact", contact, last_name="Stein", title="COO"))
    assert shown(dialog)["name"] == "Robert Stein" and shown(dialog)["job_title"] == "COO"
    assert dialog.windowTitle() == "Customer profile · Robert Stein"
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        runner.write(lambda: editor.set_fields("account", account, name="Acme Group"))
    assert shown(dialog)["company"] == "Acme Group"

    with qtbot.waitSignal(dialog.released, timeout=5000):
        dialog.close()
    assert stored_answers(store) == 0  # shown, never written as the rep's answers
    with store.reading() as session:
        assert {e.entity for e in session.scalars(select(OutboxEntry))} == {"contact", "account"}
    assert runner.shutdown()


def test_a_contact_without_a_title_says_so(
    qtbot: QtBot, window_parent: QWidget, store: Store, runner: TaskRunner, account: uuid.UUID
) -> None:
    untitled = add_contact(store, account, "Ann", "Lee")
    dialog = open_dialog(qtbot, window_parent, store, runner, untitled)
    title = dialog.editors["job_title"]
    assert title.value() == "" and title.from_contact
    assert title.widget.placeholderText() == "Not on the contact record"  # type: ignore[attr-defined]
    assert runner.shutdown()


def test_an_answer_given_before_stays_the_reps_to_edit(
    qtbot: QtBot,
    window_parent: QWidget,
    store: Store,
    runner: TaskRunner,
    contact: uuid.UUID,
) -> None:
    """A job title typed into the profile before (or on another device) is not hidden
    behind the record's: it stays editable, the record's value beside it."""
    ProfileBook(store).set_answer(contact, "job_title", "Head of Buying, North")
    dialog = open_dialog(qtbot, window_parent, store, runner, contact)
    title = dialog.editors["job_title"]
    assert not title.from_contact and title.value() == "Head of Buying, North"
    assert dialog.record_notes["job_title"].text() == "Contact record: Head of Procurement"
    assert dialog.editors["name"].from_contact  # the others still come from the record
    assert dialog.meter.value() == 0  # and are not counted either way
    title.widget.setText("")  # type: ignore[attr-defined]
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        title.changed_now()
    profile = ProfileBook(store).profile(contact)
    assert profile is not None and "job_title" not in profile.answers
    assert runner.shutdown()


def test_key_questions_are_marked_and_the_tier_moves(
    qtbot: QtBot, window_parent: QWidget, store: Store, runner: TaskRunner, contact: uuid.UUID
) -> None:
    book = ProfileBook(store)
    assert KEY_IDS[0] == "nickname"
    for question_id in KEY_IDS[1:6]:
        book.set_answer(contact, question_id, answer_to(question_id))
    dialog = open_dialog(qtbot, window_parent, store, runner, contact)
    assert dialog.tier.text().startswith("Started · 5 of 16 key questions")
    assert "Useful: at least 6 key questions" in dialog.tier.toolTip()
    nickname = dialog.editors["nickname"]
    assert label_of(dialog, "nickname").endswith("\u00a0★")  # a key question
    assert not label_of(dialog, "car").endswith("★")
    assert "Key question" in label_tip(dialog, "nickname")
    nickname.widget.setText("Bob")  # type: ignore[attr-defined]
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        nickname.changed_now()
    assert dialog.tier.text().startswith("Useful · 6 of 16 key questions")
    assert runner.shutdown()


@pytest.fixture
def team(store: Store) -> dict[str, uuid.UUID]:
    """Five people at one account, three of them key contacts, in every tier."""
    account = add_account(store, "Brightwater Foods")
    roles = {
        "Dora Decider": DealRole.DECISION_MAKER,
        "Eve Payer": DealRole.ECONOMIC_BUYER,
        "Cleo Champion": DealRole.CHAMPION,
        "Gus Keeper": DealRole.GATEKEEPER,
        "Ned Norole": None,
    }
    people = {
        name: add_contact(store, account, *name.split(), deal_role=role)
        for name, role in roles.items()
    }
    book = ProfileBook(store)
    answers = {
        "Dora Decider": KEY_IDS[:6],  # useful
        "Eve Payer": ["hobbies"],  # started
        "Gus Keeper": KEY_IDS[:8] + PLAIN[:8],  # rich
    }
    for name, questions in answers.items():
        for question_id in questions:
            book.set_answer(people[name], question_id, answer_to(question_id))
    return people


def test_tiers_and_key_contacts_on_the_profiles_page(
    qtbot: QtBot, store: Store, runner: TaskRunner, team: dict[str, uuid.UUID]
) -> None:
    page = ProfilesPage(runner, ProfileBook(store))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh()
    model = page.completeness
    assert page.key_only.isChecked()
    assert "decision maker" in page.key_only.toolTip()
    assert [(r.contact_name, r.tier.label) for r in model.rows] == [
        ("Cleo Champion", "Empty"),
        ("Eve Payer", "Started"),
        ("Dora Decider", "Useful"),
    ]  # emptiest first
    assert model.headerData(PROFILE_COLUMN, Qt.Orientation.Horizontal) == "Profile"
    cell = model.index(2, PROFILE_COLUMN)
    assert model.data(cell) == "Useful"
    assert model.data(cell, Qt.ItemDataRole.ToolTipRole).startswith(
        "Useful: 6 of 63 answered, 6 of 16 key questions."
    )
    assert "Rich: at least 8 key questions" in model.data(cell, Qt.ItemDataRole.ToolTipRole)
    title = page._completeness_title.text()
    assert title == "Profile completeness · 3 key contacts: 1 empty, 1 started, 1 useful, 0 rich"

    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.key_only.setChecked(False)  # read again, from the store
    assert len(model.rows) == 5
    assert model.rows[-1].contact_name == "Gus Keeper" and model.rows[-1].tier.label == "Rich"
    assert page._completeness_title.text() == (
        "Profile completeness · 5 contacts: 2 empty, 1 started, 1 useful, 1 rich"
    )
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh()
    assert not page.key_only.isChecked() and len(model.rows) == 5  # kept over a reload
    assert runner.shutdown()


def test_one_key_contact_is_counted_in_the_singular(
    qtbot: QtBot, store: Store, runner: TaskRunner
) -> None:
    add_contact(store, add_account(store, "Solo GmbH"), "Sol", "One")  # a champion
    page = ProfilesPage(runner, ProfileBook(store))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.refresh()
    assert page._completeness_title.text().startswith("Profile completeness · 1 key contact:")
    assert runner.shutdown()


def test_the_filter_is_kept_while_the_app_runs(qtbot: QtBot, window: MainWindow) -> None:
    from ui.main_window import PROFILES, TODAY

    page = window.profiles_page
    with qtbot.waitSignal(page.loaded, timeout=5000):
        window.show_page(PROFILES)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.key_only.setChecked(False)
    window.show_page(TODAY)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        window.show_page(PROFILES)
    assert not page.key_only.isChecked()
    assert page._completeness_title.text().startswith("Profile completeness · 1 contact:")


def _label(dialog: ProfileDialog, question_id: str) -> QLabel:
    widget = dialog.editors[question_id].widget
    [label] = [found for found in dialog.findChildren(QLabel) if found.buddy() is widget]
    return label


def label_of(dialog: ProfileDialog, question_id: str) -> str:
    return _label(dialog, question_id).text()


def label_tip(dialog: ProfileDialog, question_id: str) -> str:
    return _label(dialog, question_id).toolTip()
