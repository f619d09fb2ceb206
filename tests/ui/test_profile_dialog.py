"""The profile editor on a real store: every field type, the meter, restart, consent, PDF."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QLocale, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDateEdit,
    QDialog,
    QScrollArea,
    QStyleOptionViewItem,
    QWidget,
)
from pytestqt.qtbot import QtBot

from db.profiles.book import ProfileBook
from db.store.local_store import Store
from desktop.runner import TaskRunner
from tests.helpers.factories import add_account, add_contact
from tests.helpers.pdf import pdf_text, print_to_file
from ui.profile_dialog import ProfileDialog
from ui.profile_fields import FieldEditor


@pytest.fixture
def contact(store: Store) -> uuid.UUID:
    return add_contact(store, add_account(store, "Acme Logistics"), "Robert", "Stone")


def open_dialog(qtbot: QtBot, parent: QWidget, store: Store, contact: uuid.UUID) -> ProfileDialog:
    runner = TaskRunner()
    dialog = ProfileDialog(runner, ProfileBook(store), contact, parent)
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        pass
    dialog.show()
    return dialog


def save(qtbot: QtBot, dialog: ProfileDialog, editor: FieldEditor) -> None:
    with qtbot.waitSignal(dialog.saved, timeout=5000) as saved:
        editor.flush() if editor.waiting else editor.changed_now()
    assert saved.args == [editor.question.id]


def test_fill_each_type_the_meter_moves_and_a_restart_keeps_it(
    qtbot: QtBot, window_parent: QWidget, data_dir: Path, store: Store, contact: uuid.UUID
) -> None:
    dialog = open_dialog(qtbot, window_parent, store, contact)
    assert dialog.meter.value() == 0 and dialog.meter.maximum() == 63
    e = dialog.editors
    qtbot.keyClicks(e["nickname"].widget, "Bob")  # text, typed
    save(qtbot, dialog, e["nickname"])
    e["current_role"].widget.setPlainText("Runs the Hamburg plant.")  # type: ignore[attr-defined]
    save(qtbot, dialog, e["current_role"])
    e["birth_date"].widget.setDate(QDate(1976, 12, 3))  # type: ignore[attr-defined]
    save(qtbot, dialog, e["birth_date"])
    e["accepts_hospitality"].widget.setCurrentText("No")  # type: ignore[attr-defined]
    save(qtbot, dialog, e["accepts_hospitality"])
    e["marital_status"].widget.setCurrentText("Married")  # type: ignore[attr-defined]
    save(qtbot, dialog, e["marital_status"])
    e["hobbies"].widget.setPlainText("sailing\n\nchess")  # type: ignore[attr-defined]
    save(qtbot, dialog, e["hobbies"])
    children = e["children"]
    children.add_person()  # type: ignore[attr-defined]
    table = children.table  # type: ignore[attr-defined]
    table.item(0, 0).setText("Ada")
    table.item(0, 1).setText("2012-03-01")
    save(qtbot, dialog, children)
    qtbot.waitUntil(lambda: dialog.meter.value() == 7, timeout=5000)
    assert dialog.sections.item(0).text().endswith("2 of 5")  # nickname, birth date
    dialog.close()
    store.close()

    again = Store.open(data_dir)
    try:
        reopened = open_dialog(qtbot, window_parent, again, contact)
        assert reopened.meter.value() == 7
        r = reopened.editors
        assert r["nickname"].value() == "Bob"
        assert r["birth_date"].value() == dt.date(1976, 12, 3)
        assert r["accepts_hospitality"].value() == "No"
        assert r["marital_status"].value() == "Married"
        assert r["hobbies"].value() == ["sailing", "chess"]
        assert r["children"].value() == [
            {"name": "Ada", "birth_date": "2012-03-01", "age": "", "interests": ""}
        ]
        reopened.close()
    finally:
        again.close()


def test_a_bad_value_shows_under_its_field(
    qtbot: QtBot, window_parent: QWidget, store: Store, contact: uuid.UUID
) -> None:
    dialog = open_dialog(qtbot, window_parent, store, contact)
    children = dialog.editors["children"]
    children.add_person()  # type: ignore[attr-defined]
    children.table.item(0, 0).setText("Ada")  # type: ignore[attr-defined]
    children.table.item(0, 2).setText("two hundred")  # type: ignore[attr-defined]
    children.changed_now()
    error = dialog._errors["children"]
    qtbot.waitUntil(lambda: not error.isHidden(), timeout=5000)
    assert "Children" in error.text() and "age" in error.text().lower()
    assert dialog.meter.value() == 0


def test_sensitive_questions_hide_until_asked_and_need_consent(
    qtbot: QtBot, window_parent: QWidget, store: Store, contact: uuid.UUID
) -> None:
    dialog = open_dialog(qtbot, window_parent, store, contact)
    dialog.sections.setCurrentRow(5)  # lifestyle: health comes first
    health = dialog.editors["health"].widget
    assert not health.isVisible()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    qtbot.keyClick(
        dialog,
        Qt.Key.Key_S,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert dialog.show_sensitive.isChecked()
    qtbot.waitUntil(health.isVisible, timeout=2000)
    assert not health.isEnabled()  # no consent yet
    with qtbot.waitSignal(dialog.loaded, timeout=5000):
        dialog._write(
            lambda: dialog._book.record_consent(contact, dt.date(2026, 11, 2), "signed form")
        )
    assert health.isEnabled()
    assert "Consent recorded" in dialog._consent.text()


def test_export_writes_a_pdf_without_sensitive_answers(
    qtbot: QtBot, window_parent: QWidget, tmp_path: Path, store: Store, contact: uuid.UUID
) -> None:
    book = ProfileBook(store)
    book.set_answer(contact, "nickname", "Bob")
    book.record_consent(contact, dt.date(2026, 11, 2), "signed form")
    book.set_answer(contact, "religion", "Quaker")
    dialog = open_dialog(qtbot, window_parent, store, contact)
    target = tmp_path / "profile.pdf"
    with qtbot.waitSignal(dialog.exported, timeout=10000):
        dialog.export_pdf(target)
    text = pdf_text(target)
    assert "Robert Stone" in text and "Bob" in text and "Quaker" not in text
    assert "1 sensitive answer left out" in text
    from db.profiles.report import profile_html

    assert dialog.profile is not None
    html = profile_html(dialog.profile, book.definition)
    assert "Bob" in html and "Quaker" not in html and "1 sensitive answer left out" in html
    assert "Quaker" in profile_html(dialog.profile, book.definition, include_sensitive=True)


def test_reminders_on_today_and_profiles_open_from_the_contact_list(
    qtbot: QtBot, territory: Store, runner: TaskRunner
) -> None:
    """A birthday in 10 days is on Today and on the Profiles screen; one in 40 is not.
    Enter on a contact in the account pane opens their profile."""
    from desktop.app import build_window
    from ui.main_window import PROFILES

    acme = add_account(territory, "Brightwater Foods")
    soon = add_contact(territory, acme, "Kim", "Soon")
    later = add_contact(territory, acme, "Lee", "Later")
    book = ProfileBook(territory)
    today = dt.date.today()
    # 1980 was a leap year, so any day of the year exists in it.
    book.set_answer(soon, "birth_date", (today + dt.timedelta(days=10)).replace(year=1980))
    book.set_answer(later, "birth_date", (today + dt.timedelta(days=40)).replace(year=1980))
    window = build_window(territory, runner)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.ready, timeout=10_000):
        window.show()
    reminders = window.today_page.reminders
    qtbot.waitUntil(lambda: reminders.rowCount() == 1, timeout=5000)
    assert reminders.row_at(0).contact_name == "Kim Soon"
    assert reminders.row_at(0).days_away == 10
    assert not window.today_page.reminders_view.isHidden()

    with qtbot.waitSignal(window.profiles_page.loaded, timeout=5000):
        window.show_page(PROFILES)
    page = window.profiles_page
    assert [r.contact_name for r in page.reminders.rows] == ["Kim Soon"]
    names = [r.contact_name for r in page.completeness.rows]
    assert {"Kim Soon", "Lee Later"} <= set(names)
    assert page.completeness.rows[0].answered == 0  # thinnest first

    window.open_account(acme)
    pane = window.accounts_page.pane
    qtbot.waitUntil(lambda: pane.detail is not None and pane.detail.name == "Brightwater Foods")
    contacts = pane._contacts
    row = [c.name for c in pane.contacts_model.rows].index("Kim Soon")
    contacts.setCurrentIndex(pane.contacts_model.index(row, 0))
    contacts.activated.emit(contacts.currentIndex())
    dialog = window.profile_dialogs[soon]
    qtbot.waitUntil(lambda: dialog.profile is not None, timeout=5000)
    assert dialog.meter.value() == 1 and dialog.isVisible()
    window.close()
    assert runner.shutdown()


def test_print_goes_through_the_print_dialog_to_the_printer(
    qtbot: QtBot,
    window_parent: QWidget,
    tmp_path: Path,
    store: Store,
    contact: uuid.UUID,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl+P: the system print dialog, then the profile on the chosen printer (here one
    that prints to a file); cancelling prints nothing."""
    target = tmp_path / "printed.pdf"
    print_to_file(monkeypatch, target, QDialog.DialogCode.Rejected, QDialog.DialogCode.Accepted)
    ProfileBook(store).set_answer(contact, "hobbies", ["sailing", "chess"])
    dialog = open_dialog(qtbot, window_parent, store, contact)
    dialog.ask_print()
    assert not target.exists()
    dialog.ask_print()
    text = pdf_text(target)
    assert "Robert Stone" in text and "sailing" in text


def wheel_over(widget: QWidget, steps: int) -> None:
    """A mouse wheel turned `steps` notches (negative: towards the rep) over `widget`."""
    at = QPointF(widget.rect().center())
    event = QWheelEvent(
        at,
        QPointF(widget.mapToGlobal(at.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_past_fields_without_changing_them(
    qtbot: QtBot, window_parent: QWidget, store: Store, contact: uuid.UUID
) -> None:
    """Scrolling the profile once flipped "Relationship status" on the way, saved it and
    synced it: a field without the keyboard's focus lets the page scroll instead."""
    dialog = open_dialog(qtbot, window_parent, store, contact)
    dialog.resize(700, 260)  # a small window: every section scrolls
    combos = [e for e in dialog.editors.values() if isinstance(e.widget, QComboBox)]
    dates = [e for e in dialog.editors.values() if isinstance(e.widget, QDateEdit)]
    assert combos and dates
    for editor in (combos[0], dates[0]):
        dialog.pages.setCurrentWidget(_page_of(dialog, editor.widget))
        field = editor.widget
        scroll = _scroll_of(field)
        qtbot.waitUntil(lambda scroll=scroll: scroll.verticalScrollBar().maximum() > 0)
        before, at = editor.value(), scroll.verticalScrollBar().value()
        with qtbot.assertNotEmitted(dialog.saved, wait=300):
            wheel_over(field, -1)
        assert editor.value() == before
        assert scroll.verticalScrollBar().value() > at  # the page scrolled instead
    field = combos[0].widget
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    wheel_over(field, -1)  # the field the rep is in: the wheel is theirs to use
    assert combos[0].value() is not None


def test_a_mouse_wheel_scrolls_the_profile_past_its_fields(
    qtbot: QtBot, window_parent: QWidget, store: Store, contact: uuid.UUID
) -> None:
    """The wheel as the window system delivers it, to the window under the pointer: Qt gave
    a combo or date field under it the keyboard's focus first, so the guard let the turn
    through and "Relationship status" flipped all the same."""
    dialog = open_dialog(qtbot, window_parent, store, contact)
    dialog.resize(700, 260)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    for question_id in ("marital_status", "spouse_birth_date"):
        editor = dialog.editors[question_id]
        dialog.sections.setCurrentRow(2)  # Family
        field, scroll = editor.widget, _scroll_of(editor.widget)
        qtbot.waitUntil(lambda scroll=scroll: scroll.verticalScrollBar().maximum() > 0)
        scroll.verticalScrollBar().setValue(0)
        qtbot.waitUntil(lambda field=field: field.isVisible())
        at = field.mapTo(dialog, field.rect().center())
        handle = dialog.windowHandle()
        assert handle is not None
        with qtbot.assertNotEmitted(dialog.saved, wait=300):
            QTest.wheelEvent(handle, at, QPoint(0, -120))
        assert editor.value() is None and not field.hasFocus()
        assert scroll.verticalScrollBar().value() > 0  # the page scrolled instead


def _scroll_of(widget: QWidget) -> QScrollArea:
    parent = widget.parentWidget()
    while not isinstance(parent, QScrollArea):
        assert parent is not None
        parent = parent.parentWidget()
    return parent


def _page_of(dialog: ProfileDialog, widget: QWidget) -> QWidget:
    parent: QWidget | None = widget
    while parent is not None and parent.parentWidget() is not dialog.pages:
        parent = parent.parentWidget()
    assert parent is not None
    return parent


def test_a_persons_birth_date_reads_like_every_date_and_is_picked_not_typed(
    qtbot: QtBot, window_parent: QWidget, store: Store
) -> None:
    contact = add_contact(store, add_account(store, "Acme"), "Bob", "Berg")
    dialog = open_dialog(qtbot, window_parent, store, contact)
    children = dialog.editors["children"]
    children.add_person()  # type: ignore[attr-defined]
    table = children.table  # type: ignore[attr-defined]
    table.item(0, 1).setText("2012-03-01")
    delegate = table.itemDelegateForColumn(1)
    assert delegate.displayText("2012-03-01", QLocale()) == "1 Mar 2012"
    assert table.horizontalHeaderItem(1).text() == "Birth date"
    index = table.model().index(0, 1)
    editor = delegate.createEditor(table.viewport(), QStyleOptionViewItem(), index)
    delegate.setEditorData(editor, index)
    assert editor.date() == QDate(2012, 3, 1)
    editor.setDate(QDate(2013, 4, 2))
    delegate.setModelData(editor, table.model(), index)
    assert table.item(0, 1).text() == "2013-04-02"  # stored as the answer keeps it
    editor.setDate(editor.minimumDate())  # "not set"
    delegate.setModelData(editor, table.model(), index)
    assert table.item(0, 1).text() == ""
    dialog.close()
