"""The profile editor built section by section: nothing lost, Tab reaches every field."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QWidget
from pytestqt.qtbot import QtBot

from db.profiles.book import ProfileBook
from db.profiles.definition import load_definition
from db.profiles.values import normalise_answer
from db.store.local_store import Store
from desktop.runner import TaskRunner
from tests.helpers.factories import add_account, add_contact
from tests.helpers.pdf import pdf_text
from tests.helpers.profile_answers import answer_to
from ui.profile_dialog import BUILD_REST_AFTER_MS, ProfileDialog

MACKAY = load_definition()
SECTIONS = MACKAY.sections
LONG_TEXTS = sum(q.type.value in ("long_text", "list") for q in MACKAY.questions)


@pytest.fixture
def contact(store: Store) -> uuid.UUID:
    return add_contact(store, add_account(store, "Acme Logistics"), "Robert", "Stone")


@pytest.fixture
def answered(store: Store, contact: uuid.UUID) -> dict[str, object]:
    """An answer to every question, sensitive ones too (with consent); as stored."""
    book = ProfileBook(store)
    book.record_consent(contact, dt.date(2026, 11, 2), "signed form")
    for question in MACKAY.questions:
        book.set_answer(contact, question.id, answer_to(question.id))
    profile = book.profile(contact)
    assert profile is not None and len(profile.answers) == len(MACKAY.questions)
    return dict(profile.answers)


def opened(
    qtbot: QtBot, parent: QWidget, store: Store, runner: TaskRunner, contact: uuid.UUID
) -> ProfileDialog:
    """The dialog with its answers read, not shown yet (so nothing was built after it)."""
    dialog = ProfileDialog(runner, ProfileBook(store), contact, parent)
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        pass
    return dialog


def shown(qtbot: QtBot, dialog: ProfileDialog) -> None:
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)


def stored(store: Store, contact: uuid.UUID) -> dict[str, object]:
    profile = ProfileBook(store).profile(contact)
    assert profile is not None
    return dict(profile.answers)


def test_it_opens_with_the_first_section_and_builds_the_rest_once_painted(
    qtbot: QtBot, window_parent: QWidget, store: Store, runner: TaskRunner, contact: uuid.UUID
) -> None:
    dialog = opened(qtbot, window_parent, store, runner, contact)
    first = {q.id for q in SECTIONS[0].questions}
    assert set(dialog.editors.built) == first  # 8 of the 66 questions
    assert len(dialog.findChildren(QPlainTextEdit)) == 1  # of 35
    assert "hobbies" in dialog.editors and len(dialog.editors) == len(MACKAY.questions)
    shown(qtbot, dialog)  # painted: the other sections follow, one per turn
    qtbot.waitUntil(lambda: dialog.sections_built == len(SECTIONS), timeout=5000)
    assert set(dialog.editors.built) == {q.id for q in MACKAY.questions}
    assert len(dialog.findChildren(QPlainTextEdit)) == LONG_TEXTS
    assert runner.shutdown()


def test_hidden_behind_the_lock_it_builds_nothing_and_finishes_once_shown(
    qtbot: QtBot,
    window_parent: QWidget,
    store: Store,
    runner: TaskRunner,
    contact: uuid.UUID,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog = opened(qtbot, window_parent, store, runner, contact)
    build = dialog._build_section

    def build_then_lock(row: int) -> None:
        build(row)
        if row == 1:
            dialog.hide()  # the lock hides every window of the app: here, mid-way

    monkeypatch.setattr(dialog, "_build_section", build_then_lock)
    dialog.show()
    qtbot.waitUntil(dialog.isHidden, timeout=5000)
    qtbot.wait(BUILD_REST_AFTER_MS * 3)
    assert dialog.sections_built == 2
    monkeypatch.setattr(dialog, "_build_section", build)
    dialog.show()  # unlocked
    qtbot.waitUntil(lambda: dialog.sections_built == len(SECTIONS), timeout=5000)
    assert runner.shutdown()


def test_what_the_rep_saves_right_after_opening_keeps_every_section(
    qtbot: QtBot,
    window_parent: QWidget,
    tmp_path: Path,
    store: Store,
    runner: TaskRunner,
    contact: uuid.UUID,
    answered: dict[str, object],
) -> None:
    """Answers are data, the fields only views of them: a save and a close right after
    opening, before any other section was built, keep the answers of all of them, and the
    PDF holds them; each section, once built, shows the stored answers."""
    dialog = opened(qtbot, window_parent, store, runner, contact)
    shown(qtbot, dialog)
    assert dialog.sections_built == 1
    target = tmp_path / "profile.pdf"
    with qtbot.waitSignal(dialog.exported, timeout=10000):
        dialog.export_pdf(target)
    assert "about competitor_standing" in pdf_text(target)  # the last section's answer
    nickname = dialog.editors["nickname"]
    nickname.widget.setFocus()
    nickname.widget.selectAll()  # type: ignore[attr-defined]
    qtbot.keyClicks(nickname.widget, "Bob")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.close()  # before the typing pause: the close saves it
    assert stored(store, contact) == {**answered, "nickname": "Bob"}

    again = opened(qtbot, window_parent, store, runner, contact)
    for question in MACKAY.questions:  # each section built as it is asked for
        editor = again.editors[question.id]
        assert normalise_answer(question, editor.value()) == stored(store, contact)[question.id]
    assert runner.shutdown()


def test_typing_in_a_section_built_on_demand_and_in_one_built_after_the_paint(
    qtbot: QtBot, window_parent: QWidget, store: Store, runner: TaskRunner, contact: uuid.UUID
) -> None:
    dialog = opened(qtbot, window_parent, store, runner, contact)
    shown(qtbot, dialog)
    # Ctrl+PgUp from the first section: the last one, built there and then, its first field
    # focused.
    qtbot.keyClick(dialog, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert dialog.sections.currentRow() == len(SECTIONS) - 1
    ethics = dialog.editors.built["ethical_concerns"].widget
    qtbot.waitUntil(ethics.hasFocus, timeout=2000)
    qtbot.keyClicks(QApplication.focusWidget(), "Never bribes")
    with qtbot.waitSignal(dialog.saved, timeout=5000) as saved:
        pass  # the typing pause
    assert saved.args == ["ethical_concerns"]

    qtbot.waitUntil(lambda: dialog.sections_built == len(SECTIONS), timeout=5000)
    dialog.sections.setCurrentRow(5)  # Lifestyle, built while nobody looked
    car = dialog.editors.built["car"].widget
    car.setFocus()
    qtbot.waitUntil(car.hasFocus, timeout=2000)
    qtbot.keyClicks(car, "Old Saab")
    with qtbot.waitSignal(dialog.saved, timeout=5000) as saved:
        qtbot.keyClick(car, Qt.Key.Key_Tab)  # leaving the field saves it at once
    assert saved.args == ["car"]
    answers = stored(store, contact)
    assert answers["ethical_concerns"] == "Never bribes" and answers["car"] == "Old Saab"
    assert runner.shutdown()


def _question_of(dialog: ProfileDialog, widget: QWidget) -> str | None:
    for question_id, editor in dialog.editors.built.items():
        if editor.widget is widget or editor.widget.isAncestorOf(widget):
            return question_id
    return None


def _tab_through(qtbot: QtBot, dialog: ProfileDialog) -> list[str]:
    """From the section list, Tab until the buttons below: the questions reached, in order."""
    dialog.sections.setFocus()
    qtbot.waitUntil(dialog.sections.hasFocus, timeout=2000)
    reached: list[str] = []
    for _ in range(60):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        focused = QApplication.focusWidget()
        if focused is dialog.show_sensitive:
            return reached
        question_id = _question_of(dialog, focused)
        if question_id is not None and reached[-1:] != [question_id]:
            reached.append(question_id)
    raise AssertionError(f"Tab never reached the buttons below; it went through {reached}")


def test_tab_reaches_every_field_of_every_section_whatever_order_they_were_built_in(
    qtbot: QtBot, window_parent: QWidget, store: Store, runner: TaskRunner, contact: uuid.UUID
) -> None:
    """From the first section, Ctrl+PgDown to each of the others (each built as it comes,
    in an order of its own): Tab goes from the section list through every field shown, in
    the order of the questions, then to the buttons below. An empty date field once kept
    Tab: the fields after it were out of reach."""
    ProfileBook(store).set_answer(contact, "anniversary", dt.date(2001, 6, 9))
    dialog = opened(qtbot, window_parent, store, runner, contact)
    shown(qtbot, dialog)
    for row in (5, 2):  # out of order, on demand
        dialog.sections.setCurrentRow(row)
    dialog.sections.setCurrentRow(0)
    for row, section in enumerate(SECTIONS):
        if row:
            qtbot.keyClick(dialog, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
        assert dialog.sections.currentRow() == row
        visible = [q.id for q in section.questions if not q.sensitive]  # sensitive: hidden
        assert _tab_through(qtbot, dialog) == visible, section.title
    assert runner.shutdown()


def test_enter_in_an_answer_presses_no_button(
    qtbot: QtBot, window_parent: QWidget, store: Store, runner: TaskRunner, contact: uuid.UUID
) -> None:
    """Enter in "Partner's name" added a child ("Add person" was the dialog's default
    button); built section by section, "Record consent…" would have become it."""
    dialog = opened(qtbot, window_parent, store, runner, contact)
    shown(qtbot, dialog)
    windows: list[str] = []

    def close_any_window_it_opened() -> None:
        modal = QApplication.activeModalWidget()
        if modal is not None:
            windows.append(modal.windowTitle())
            modal.close()

    closer = QTimer()
    closer.timeout.connect(close_any_window_it_opened)
    closer.start(50)
    for question_id in ("nickname", "spouse_name", "car"):
        dialog._show_question(question_id)
        field = dialog.editors[question_id].widget
        field.setFocus()
        qtbot.waitUntil(field.hasFocus, timeout=2000)
        qtbot.keyClick(field, Qt.Key.Key_Return)
        qtbot.wait(150)
    closer.stop()
    assert windows == []
    assert dialog.editors["children"].table.rowCount() == 0  # type: ignore[attr-defined]
    assert dialog.isVisible()
    assert runner.shutdown()


def test_esc_right_after_changing_a_person_saves_the_change(
    qtbot: QtBot, window_parent: QWidget, store: Store, runner: TaskRunner, contact: uuid.UUID
) -> None:
    """Esc closes without a close event: what waited for the typing pause was dropped with
    the window."""
    dialog = opened(qtbot, window_parent, store, runner, contact)
    shown(qtbot, dialog)
    children = dialog.editors["children"]
    children.add_person()  # type: ignore[attr-defined]
    children.table.item(0, 0).setText("Ada")  # type: ignore[attr-defined]
    assert children.waiting
    with qtbot.waitSignal(dialog.released, timeout=5000):
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    ada = normalise_answer(MACKAY.question("children"), [{"name": "Ada"}])
    assert ada and stored(store, contact).get("children") == ada
    assert runner.shutdown()
