"""The idle lock on a real window and store: after the idle time every page and window of
the app is hidden behind the lock screen (a note being typed keeps its text and is saved);
input restarts the count; the shortcut locks at once; wrong secrets are said on the
screen, with a wait after five; the passphrase, the keyring's password or the remembered
one unlocks; with nothing to check against, signing in to the server unlocks; and sync
goes on behind the lock, against a real server on loopback."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from db.field.notes import NoteBook
from db.services import LocalServices
from db.store.local_store import Store
from desktop.credentials import SERVICE, keyring_key
from desktop.runner import TaskRunner
from desktop.sync_service import SyncService
from desktop.unlock import THROTTLE_S, UnlockCheck, remember_password
from server.records import ScopedRecords
from sync.engine import RetryPolicy
from tests.helpers.live_server import REP_PASSWORD, RunningServer, rep_server
from ui.lock_screen import CHECKING, LOCK_SHORTCUT, NO_SECRET, WRONG_SECRET
from ui.login_dialog import LoginDialog
from ui.main_window import ACCOUNTS, LOCKED_TITLE, TITLE, TODAY, MainWindow

PASSPHRASE = "the store passphrase"
REMEMBERED = "the last password that signed in"
FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.01)


class Clock:
    """A clock the test moves by hand (wall clock for the idle watch, monotonic for the
    wait after wrong tries)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def wall() -> Clock:
    return Clock()


@pytest.fixture
def tries() -> Clock:
    return Clock()


@pytest.fixture
def secrets(tmp_path: Path) -> Path:
    return tmp_path / "data-folder"


@pytest.fixture
def check(secrets: Path, tries: Clock) -> UnlockCheck:
    return UnlockCheck(
        secrets,
        lambda typed: typed == PASSPHRASE,
        keyring_password=lambda _server, _user: None,
        clock=tries,
    )


@pytest.fixture
def runner() -> TaskRunner:
    return TaskRunner()


def open_window(
    qtbot: QtBot,
    store: Store,
    runner: TaskRunner,
    check: UnlockCheck,
    wall: Clock,
    sync: SyncService | None = None,
) -> MainWindow:
    """The window as desktop/app.py builds it, on a store already open."""
    window = MainWindow(runner, store_label=str(store.path), unlock_check=check, wall_clock=wall)
    window.ask_to_sign_in = False
    qtbot.addWidget(window)
    window.attach(LocalServices.for_store(store), sync)
    with qtbot.waitSignal(window.ready, timeout=10_000):
        window.show()
    return window


@pytest.fixture
def window(
    qtbot: QtBot, territory: Store, runner: TaskRunner, check: UnlockCheck, wall: Clock
) -> Iterator[MainWindow]:
    main_window = open_window(qtbot, territory, runner, check, wall)
    yield main_window
    main_window.close()
    assert runner.shutdown()


def activate(qtbot: QtBot, widget: QWidget) -> None:
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)


def shown_windows() -> list[QWidget]:
    return [w for w in QApplication.topLevelWidgets() if w.isVisible()]


def type_and_unlock(qtbot: QtBot, window: MainWindow, secret: str) -> None:
    screen = window.lock_screen
    assert screen is not None
    screen.password.clear()
    qtbot.keyClicks(screen.password, secret)
    with qtbot.waitSignal(window.unlocked, timeout=10_000):
        qtbot.keyClick(screen.password, Qt.Key.Key_Return)


def type_wrong(qtbot: QtBot, window: MainWindow, secret: str) -> None:
    screen = window.lock_screen
    assert screen is not None
    screen.password.clear()
    qtbot.keyClicks(screen.password, secret)
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.problem.text() != CHECKING, timeout=10_000)
    assert window.is_locked


def stored_body(store: Store, note_id: uuid.UUID | None) -> str:
    view = NoteBook(store).note(note_id) if note_id is not None else None
    return view.body if view is not None else ""


def test_after_the_idle_time_everything_is_hidden_and_comes_back_with_the_note_typed(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> None:
    # A note being typed, the visit's briefing and F1's list are open over Today.
    window.show_page(TODAY)
    qtbot.waitUntil(lambda: window.today_page.model.rowCount() == 1, timeout=5000)
    meeting = window.today_page.model.row_at(0)
    briefing = window.open_briefing(meeting.account_id, meeting.id)
    window.new_note(meeting.account_id, meeting.id)
    qtbot.waitUntil(lambda: len(window.note_drafts) == 1, timeout=5000)
    (note,) = window.note_drafts.values()
    qtbot.waitUntil(note.isActiveWindow, timeout=5000)
    with qtbot.waitSignal(note.created, timeout=5000):
        qtbot.keyClicks(note.editor, "Promised a cold-chain pilot")
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F1)  # window-modal (open()): it comes back too
    shortcuts = window.shortcuts_dialog
    assert shortcuts is not None and shortcuts.isVisible()
    qtbot.keyClicks(note.editor, " in March")  # typed, and not yet saved when it locks

    window.set_idle_lock_minutes(15)
    with qtbot.waitSignal(window.locked, timeout=10_000):
        window.set_idle_timeout_ms(30)  # the 15 minutes, as a test can wait for them

    screen = window.lock_screen
    assert screen is not None and screen.isVisible()
    assert screen.message.text() == "Locked after 15 minutes without use"
    assert shown_windows() == [window]  # the note, the briefing and F1's list are hidden
    assert not window.content.isVisible() and not window.navigation.isVisible()
    pages = [window.pages.widget(i) for i in range(window.pages.count())]
    assert len(pages) == 7 and not any(page.isVisible() for page in pages)
    assert not note.isVisible() and not briefing.isVisible() and not shortcuts.isVisible()
    assert window.windowTitle() == LOCKED_TITLE and "Acme" not in window.windowTitle()
    assert window.focusWidget() is screen.password and screen.password.isVisible()
    # Hidden, not closed: what was typed stays in the editor and reaches the store.
    assert note.editor.toPlainText().rstrip().endswith("Promised a cold-chain pilot in March")
    qtbot.waitUntil(
        lambda: stored_body(territory, note.note_id).rstrip().endswith("pilot in March"),
        timeout=5000,
    )

    type_and_unlock(qtbot, window, PASSPHRASE)
    assert not screen.isVisible() and window.today_page.isVisible()
    assert note.isVisible() and briefing.isVisible() and shortcuts.isVisible()
    assert window.windowTitle() == TITLE
    assert note.editor.toPlainText().rstrip().endswith("Promised a cold-chain pilot in March")
    assert window.idle_watch.active  # counting again


def test_input_restarts_the_count_and_input_after_the_time_locks(
    qtbot: QtBot, window: MainWindow, wall: Clock
) -> None:
    window.set_idle_lock_minutes(1)
    assert window.idle_watch.active
    window.show_page(ACCOUNTS)
    box = window.accounts_page.search_box
    activate(qtbot, window)
    for _ in range(3):  # each well within the minute since the last input: never idle
        wall.now += 59
        qtbot.keyClick(box, Qt.Key.Key_A)
        assert not window.is_locked
    wall.now += 59
    qtbot.mouseMove(box)
    assert not window.is_locked
    box.clear()

    # The timer stops while the computer sleeps; the first key after the minute locks,
    # and does not land in the field behind the lock.
    wall.now += 61
    qtbot.keyClick(box, Qt.Key.Key_Z)
    assert window.is_locked and box.text() == ""
    assert window.lock_screen is not None
    assert window.lock_screen.message.text() == "Locked after 1 minute without use"
    assert not window.idle_watch.active  # no count while locked


def test_zero_minutes_never_locks(qtbot: QtBot, window: MainWindow, wall: Clock) -> None:
    window.set_idle_lock_minutes(0)
    assert not window.idle_watch.active
    wall.now += 10 * 3600
    activate(qtbot, window)
    qtbot.keyClick(window.accounts_page.search_box, Qt.Key.Key_A)
    assert not window.is_locked and window.lock_screen is None


def test_the_shortcut_locks_at_once_even_from_a_note(
    qtbot: QtBot, window: MainWindow, territory: Store
) -> None:
    activate(qtbot, window)
    qtbot.keyClick(
        window,
        Qt.Key.Key_K,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.is_locked and window.lock_screen is not None
    assert window.lock_screen.message.text() == "Locked"
    type_and_unlock(qtbot, window, PASSPHRASE)

    account_id = window.today_page.model.row_at(0).account_id
    window.new_note(account_id, None)
    qtbot.waitUntil(lambda: len(window.note_drafts) == 1, timeout=5000)
    (note,) = window.note_drafts.values()
    qtbot.waitUntil(note.isActiveWindow, timeout=5000)
    assert LOCK_SHORTCUT == "Ctrl+Shift+K"
    qtbot.keyClick(
        note.editor,
        Qt.Key.Key_K,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert window.is_locked and not note.isVisible()
    assert note.note_id is None and window.note_drafts  # untouched: still a draft, kept
    type_and_unlock(qtbot, window, PASSPHRASE)
    assert note.isVisible()


def test_nothing_behind_the_lock_answers_a_key(qtbot: QtBot, window: MainWindow) -> None:
    window.show_page(ACCOUNTS)
    window.accounts_page.table.selectRow(0)
    window.lock()
    activate(qtbot, window)
    control = Qt.KeyboardModifier.ControlModifier
    for key, modifiers in (
        (Qt.Key.Key_B, control),  # briefing
        (Qt.Key.Key_N, control),  # note
        (Qt.Key.Key_1, control),  # Today
        (Qt.Key.Key_H, control | Qt.KeyboardModifier.ShiftModifier),  # holds
        (Qt.Key.Key_L, control),  # the ladder
        (Qt.Key.Key_Comma, control),  # settings
        (Qt.Key.Key_F1, Qt.KeyboardModifier.NoModifier),
    ):
        qtbot.keyClick(window, key, modifiers)
    assert shown_windows() == [window] and window.is_locked
    assert window.pages.currentWidget() is window.accounts_page
    assert window.briefing_dialogs == {} and window.note_drafts == {}
    assert window.shortcuts_dialog is None and window.ladder_dialog is None


def test_a_window_that_shows_itself_while_locked_is_hidden_until_unlock(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.show_page(TODAY)
    qtbot.waitUntil(lambda: window.today_page.model.rowCount() == 1, timeout=5000)
    meeting = window.today_page.model.row_at(0)
    briefing = window.open_briefing(meeting.account_id, meeting.id)
    window.lock()
    briefing.show()  # as a dialog does to show a save refused after it was hidden
    qtbot.waitUntil(lambda: not briefing.isVisible(), timeout=5000)

    # Ctrl+N just before the lock: its note window opens once unlocked, not over the lock.
    window.unlock()
    window.new_note(meeting.account_id, meeting.id)
    window.lock()
    qtbot.waitUntil(lambda: len(window.note_drafts) == 1, timeout=5000)
    (note,) = window.note_drafts.values()
    assert shown_windows() == [window] and not note.isVisible()
    type_and_unlock(qtbot, window, PASSPHRASE)
    assert note.isVisible() and briefing.isVisible()


def test_a_modal_question_open_when_it_locks_ends_as_cancelled(
    qtbot: QtBot, window: MainWindow
) -> None:
    # A question holding the whole app would keep the keys from the password field.
    QTimer.singleShot(0, window.lock)  # runs inside the question's own event loop
    answer = QMessageBox.question(window, "Visit note", "Discard what you typed?")
    assert answer != QMessageBox.StandardButton.Yes
    assert window.is_locked and shown_windows() == [window]
    type_and_unlock(qtbot, window, PASSPHRASE)
    assert shown_windows() == [window]  # answered, so not asked again


def test_a_wrong_secret_is_said_on_the_screen_and_each_right_one_unlocks(
    qtbot: QtBot, window: MainWindow, secrets: Path
) -> None:
    window.lock()
    screen = window.lock_screen
    assert screen is not None
    type_wrong(qtbot, window, "not it")
    assert screen.problem.text() == WRONG_SECRET and screen.problem.isVisible()
    assert QApplication.activeModalWidget() is None  # said in place, never a message box
    assert screen.password.selectedText() == "not it"  # to type over at once

    screen.password.clear()
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)  # nothing typed: nothing checked
    assert screen.problem.text() == "Type your passphrase or server password."

    type_and_unlock(qtbot, window, PASSPHRASE)
    remember_password(secrets, REMEMBERED)  # what desktop/ keeps after a sign-in
    window.lock()
    type_wrong(qtbot, window, PASSPHRASE + "x")
    type_and_unlock(qtbot, window, REMEMBERED)
    assert not window.is_locked


def test_after_five_wrong_tries_each_try_waits_with_a_countdown(
    qtbot: QtBot, window: MainWindow, tries: Clock
) -> None:
    window.lock()
    screen = window.lock_screen
    assert screen is not None
    for n in range(5):
        type_wrong(qtbot, window, f"guess {n}")
    assert screen.problem.text() == f"Too many wrong tries: try again in {THROTTLE_S:.0f} s."
    assert not screen.unlock_button.isEnabled()

    # Enter during the wait checks nothing, even the right passphrase.
    screen.password.setText(PASSPHRASE)
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    assert screen.problem.text().startswith("Too many wrong tries") and window.is_locked

    tries.now += 12
    qtbot.waitUntil(lambda: screen.problem.text().endswith("in 18 s."), timeout=5000)
    tries.now += 18
    qtbot.waitUntil(screen.unlock_button.isEnabled, timeout=5000)
    assert screen.problem.text() == ""
    type_and_unlock(qtbot, window, PASSPHRASE)


def test_locking_takes_no_focus_from_another_application(qtbot: QtBot, window: MainWindow) -> None:
    elsewhere = QWidget()  # another application's window, as far as ours can tell
    field = QLineEdit()
    QVBoxLayout(elsewhere).addWidget(field)
    qtbot.addWidget(elsewhere)
    elsewhere.show()
    activate(qtbot, elsewhere)
    field.setFocus()
    window.lock()
    assert QApplication.activeWindow() is elsewhere and QApplication.focusWidget() is field
    assert window.lock_screen is not None
    activate(qtbot, window)  # the rep comes back: the password field has the keys
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.lock_screen.password)


def test_a_lock_for_good_has_no_password_field_and_nothing_replaces_it(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.lock("This laptop's copy was erased by your company.", can_unlock=False)
    screen = window.lock_screen
    assert screen is not None and window.is_locked
    assert screen.message.text() == "This laptop's copy was erased by your company."
    assert not screen.password.isVisible() and not screen.unlock_button.isVisible()
    window.lock()  # the idle lock, or the shortcut, later
    assert screen.message.text() == "This laptop's copy was erased by your company."
    assert not screen.password.isVisible()


# -- with a real server ---------------------------------------------------------------------


def add_server_account(server: RunningServer, name: str) -> None:
    with server.store.session() as session:
        ScopedRecords(session, frozenset({"north"}), server.auth.clock).create(
            "account", uuid.uuid4(), "north", {"name": name, "territory": "north"}
        )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    with rep_server(tmp_path / "server") as running:
        add_server_account(running, "Zenith Freight")
        yield running


@pytest.fixture
def server_url(server: RunningServer) -> str:
    return server.url


@pytest.fixture
def synced_window(
    qtbot: QtBot, store: Store, runner: TaskRunner, secrets: Path, wall: Clock, tries: Clock
) -> Iterator[MainWindow]:
    """A window with sync and an unlock check that knows nothing yet (no passphrase, no
    remembered password; the keyring is the test's)."""
    sync = SyncService(store, runner.on_store_thread, FAST)
    main_window = open_window(qtbot, store, runner, UnlockCheck(secrets, clock=tries), wall, sync)
    yield main_window
    main_window.close()
    assert runner.shutdown()


def answer_sign_in(qtbot: QtBot, fill: Callable[[LoginDialog], None]) -> None:
    """Fills in the sign-in dialog once it is open (it runs its own event loop)."""

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, LoginDialog):
            QTimer.singleShot(10, answer)
            return
        fill(dialog)
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()

    QTimer.singleShot(0, answer)


@pytest.mark.usefixtures("file_keyring")
def test_with_nothing_to_check_against_signing_in_unlocks(
    qtbot: QtBot, synced_window: MainWindow, server_url: str
) -> None:
    window = synced_window
    window.lock()
    screen = window.lock_screen
    assert screen is not None
    qtbot.waitUntil(screen.sign_in_button.isVisible, timeout=5000)
    assert not screen.password.isVisible() and screen.hint.text() == NO_SECRET

    def wrong(dialog: LoginDialog) -> None:
        dialog.server.setText(server_url)
        dialog.username.setText("ana")
        dialog.password.setText("not the password at all")

    answer_sign_in(qtbot, wrong)
    screen.sign_in_button.click()
    qtbot.waitUntil(lambda: screen.problem.text() not in ("", "Signing in…"), timeout=15_000)
    assert window.is_locked and QApplication.activeModalWidget() is None

    def right(dialog: LoginDialog) -> None:
        dialog.server.setText(server_url)
        dialog.username.setText("ana")
        dialog.password.setText(REP_PASSWORD)

    answer_sign_in(qtbot, right)
    with qtbot.waitSignal(window.unlocked, timeout=15_000):
        screen.sign_in_button.click()
    qtbot.waitUntil(lambda: [r.name for r in window.accounts_page.model.rows] == ["Zenith Freight"])


@pytest.mark.usefixtures("file_keyring")
def test_sync_goes_on_behind_the_lock_and_the_keyring_password_unlocks(
    qtbot: QtBot, synced_window: MainWindow, server: RunningServer, server_url: str
) -> None:
    window = synced_window
    sync = window.sync
    assert sync is not None
    with qtbot.waitSignal(sync.synced, timeout=15_000):
        sync.sign_in(server_url, "ana", REP_PASSWORD)
    qtbot.waitUntil(lambda: window.sync_label.text().startswith("Online"))
    keyring.set_password(SERVICE, keyring_key(server_url, "ana"), REP_PASSWORD)
    timers = {id(t) for t in sync.findChildren(QTimer) if t.isActive()}
    assert timers  # the automatic sync's

    window.lock()
    assert {id(t) for t in sync.findChildren(QTimer) if t.isActive()} == timers
    # The office adds an account; a sync while locked (the timer's, here called at once)
    # brings it, and the pages behind the lock take it in.
    add_server_account(server, "Added While Locked")
    with qtbot.waitSignal(sync.synced, timeout=15_000) as synced:
        sync.sync_now()
    assert synced.args[0].pulled == 1
    assert window.is_locked and shown_windows() == [window]
    assert window.sync_label.isVisible()  # the status bar still says how sync stands

    type_and_unlock(qtbot, window, REP_PASSWORD)  # the keyring's copy of the password
    assert {id(t) for t in sync.findChildren(QTimer) if t.isActive()} >= timers
    names = lambda: {r.name for r in window.accounts_page.model.rows}  # noqa: E731
    qtbot.waitUntil(lambda: names() == {"Zenith Freight", "Added While Locked"}, timeout=5000)
