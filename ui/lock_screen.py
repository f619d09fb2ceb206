"""The idle lock: a watch on the app's input that says when the rep has gone, and the
screen that covers the window's data until the passphrase or server password is typed."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Protocol

import shiboken6
from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.errors import in_words
from ui.icons import icon
from ui.tasks import Runner

# Ctrl+L is the Accounts page's ladder (README): two actions on one key would fire neither.
LOCK_SHORTCUT = "Ctrl+Shift+K"
CHECKING = "Checking…"
WRONG_SECRET = "That is not your passphrase or server password."
EMPTY_SECRET = "Type your passphrase or server password."
NO_SECRET = (
    "No passphrase or server password is known on this computer yet: sign in to your "
    "company's server to unlock."
)
COUNTDOWN_MS = 1000
ICON_SIZE = 72
BOX_WIDTH = 460

Account = tuple[str, str]  # (server, user name)

# What counts as the rep being there: their keyboard, mouse, touch or pen on any window of
# the app (mouse moves over a window reach the application's filters even untracked).
_INPUT = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
    }
)

STYLE = """
QLabel#lockMessage { font-size: 17px; font-weight: 600; color: #1f2d3d; }
QLabel#lockProblem { color: #a12a1f; }
QLabel#lockHint { color: #6b7480; }
"""


class UnlockBackend(Protocol):
    """What the lock asks of desktop/ (desktop.unlock.UnlockCheck)."""

    def wait_left(self) -> float:
        """Seconds before the next try is taken; quick, fine on the GUI thread."""
        ...

    def knows_a_secret(self, account: Account | None) -> bool:
        """Whether anything typed could unlock. Blocks: off the GUI thread."""
        ...

    def verify(self, secret: str, account: Account | None) -> bool:
        """Whether `secret` unlocks. Blocks: off the GUI thread."""
        ...


def idle_message(minutes: int) -> str:
    return f"Locked after {minutes} minute{'s' * (minutes != 1)} without use"


class IdleWatch(QObject):
    """Says `idle` once the app has had no input for the timeout. One filter on the
    application restarts a single-shot timer at each key, click or mouse move: no polling.

    The timer does not run while the computer sleeps, so an input that comes after the
    timeout by `wall_clock` (closing the lid, say) is taken for idle too, and kept from the
    window it was meant for."""

    idle = Signal()

    def __init__(
        self, parent: QObject | None = None, *, wall_clock: Callable[[], float] | None = None
    ) -> None:
        super().__init__(parent)
        self._wall_clock = wall_clock or time.time
        self._timeout_ms = 0
        self._last_input = self._wall_clock()
        self._watching = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer_timeout)
        app = QApplication.instance()
        assert app is not None
        self._app = app
        app.installEventFilter(self)

    @property
    def timeout_ms(self) -> int:
        return self._timeout_ms

    @property
    def active(self) -> bool:
        """Whether the timer is counting (a timeout is set and the watch not paused)."""
        return self._timer.isActive()

    def set_timeout_ms(self, timeout_ms: int) -> None:
        """The time without input before `idle`; 0: never."""
        self._timeout_ms = max(0, timeout_ms)
        if self._watching:
            self.start()

    def start(self) -> None:
        """Counts from now (again)."""
        self._watching = True
        self._last_input = self._wall_clock()
        if self._timeout_ms:
            self._timer.start(self._timeout_ms)
        else:
            self._timer.stop()

    def pause(self) -> None:
        """Stops counting until `start` (while the window is locked)."""
        self._watching = False
        self._timer.stop()

    def stop_watching_app(self) -> None:
        self.pause()
        self._app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self._watching or not self._timeout_ms or event.type() not in _INPUT:
            return False
        now = self._wall_clock()
        if (now - self._last_input) * 1000 >= self._timeout_ms:
            self._on_timer_timeout()
            return True  # a key typed on waking must not land in a note behind the lock
        self._last_input = now
        self._timer.start(self._timeout_ms)
        return False

    @Slot()
    def _on_timer_timeout(self) -> None:
        self.pause()
        self.idle.emit()


class WindowsBehindTheLock(QObject):
    """The locked window's other windows (its dialogs and theirs): hidden at the lock and
    kept hidden while it lasts (one that shows itself, say a dialog bringing back a refused
    save, is hidden again at once), then shown again as they were.

    A window that holds the whole app (an exec'd question, a file chooser, the sign-in
    dialog) would keep the keyboard from the password field: it is hidden too, which ends
    it as if cancelled, and it does not come back. Nor may one open while locked: such
    questions hold no customer data, and the rep must be able to answer them."""

    def __init__(self, owner: QWidget) -> None:
        super().__init__(owner)
        self._owner = owner
        self._hidden: list[QWidget] = []
        self._app = QApplication.instance()

    def hide_all(self) -> None:
        """Hides every window of the owner's that shows, and keeps the others hidden."""
        for widget in QApplication.topLevelWidgets():
            if widget is not self._owner and widget.isVisible() and self._owns(widget):
                self._hide(widget)
        if self._app is not None:
            self._app.installEventFilter(self)

    def keep(self, widget: QWidget) -> None:
        """A window the owner meant to show now: it shows on unlock instead."""
        if widget not in self._hidden:
            self._hidden.append(widget)

    def show_all(self) -> None:
        """Shows again what was hidden (and still exists); stops keeping windows hidden."""
        if self._app is not None:
            self._app.removeEventFilter(self)
        hidden, self._hidden = self._hidden, []
        for widget in hidden:
            if shiboken6.isValid(widget):
                widget.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Show
            and isinstance(watched, QWidget)
            and watched.isWindow()
            and watched is not self._owner
            and _comes_back(watched)
            and self._owns(watched)
        ):
            # Not from inside its own show (Qt would show the native window after it).
            QTimer.singleShot(0, lambda: self._hide_again(watched))
        return False

    def _hide_again(self, widget: QWidget) -> None:
        if shiboken6.isValid(widget) and widget.isVisible():
            self._hide(widget)

    def _hide(self, widget: QWidget) -> None:
        widget.hide()
        if _comes_back(widget):
            self.keep(widget)

    def _owns(self, widget: QWidget) -> bool:
        parent = widget.parentWidget()
        while parent is not None:
            if parent is self._owner:
                return True
            parent = parent.parentWidget()
        return False


def _comes_back(widget: QWidget) -> bool:
    """Whether a hidden window is shown again on unlock: not one that held the whole app
    (hiding ended it) and not a menu or tooltip."""
    return widget.windowModality() != Qt.WindowModality.ApplicationModal and (
        widget.windowType() not in (Qt.WindowType.Popup, Qt.WindowType.ToolTip)
    )


class LockScreen(QWidget):
    """Covers the window: the lock icon, why it is locked, and (unless the lock is for good)
    a password field with Unlock. Wrong secrets are said on one line under the field;
    after too many, a countdown. With nothing known to check against, it offers sign-in."""

    unlocked = Signal()  # the right secret was typed
    sign_in_requested = Signal()

    def __init__(self, runner: Runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen")
        self.setStyleSheet(STYLE)
        self.setAutoFillBackground(True)
        self._runner = runner
        self._check: UnlockBackend | None = None
        self.account: Account | None = None  # whose password unlocks, once signed in
        self.can_unlock = True
        self._round = 0  # answers meant for an earlier lock are dropped
        self._checking = False

        self.icon = QLabel()
        self.icon.setPixmap(icon("locked").pixmap(QSize(ICON_SIZE, ICON_SIZE)))
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.icon.setMinimumHeight(ICON_SIZE + 8)
        self.message = QLabel()
        self.message.setObjectName("lockMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Passphrase or server password")
        self.password.setMinimumWidth(260)
        self.password.returnPressed.connect(self.try_unlock)
        self.unlock_button = QPushButton("Unlock")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.try_unlock)
        self.problem = QLabel()
        self.problem.setObjectName("lockProblem")
        self.problem.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.hint = QLabel(NO_SECRET)
        self.hint.setObjectName("lockHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.hint.hide()
        self.sign_in_button = QPushButton("Sign in…")
        self.sign_in_button.clicked.connect(self.sign_in_requested)
        self.sign_in_button.hide()

        self._entry = QWidget()
        row = QHBoxLayout(self._entry)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.password, stretch=1)
        row.addWidget(self.unlock_button)
        column = QVBoxLayout()
        column.setSpacing(14)
        column.addWidget(self.icon)
        column.addWidget(self.message)
        column.addWidget(self._entry)
        column.addWidget(self.hint)
        column.addWidget(self.sign_in_button, alignment=Qt.AlignmentFlag.AlignCenter)
        column.addWidget(self.problem)
        box = QWidget()
        # A fixed width: wrapped labels in a centred box get their height from it.
        box.setFixedWidth(BOX_WIDTH)
        box.setLayout(column)
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        outer.addWidget(box, alignment=Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(3)  # a little above the middle, where the eye lands

        self._countdown = QTimer(self)
        self._countdown.setInterval(COUNTDOWN_MS)
        self._countdown.timeout.connect(self._on_countdown_timeout)

    def set_check(self, check: UnlockBackend | None) -> None:
        self._check = check

    def show_locked(self, message: str, *, can_unlock: bool = True) -> None:
        """Shows `message`; with `can_unlock`, an empty password field, which takes the focus
        (the window's focus: it is not raised or activated, the rep may be elsewhere)."""
        self._round += 1
        self._checking = False
        self.can_unlock = can_unlock
        self.message.setText(message)
        self.password.clear()
        self.problem.clear()
        self.hint.hide()
        self.sign_in_button.hide()
        self._entry.setVisible(can_unlock)
        self._set_busy(False)
        if not can_unlock:
            self._countdown.stop()
            return
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)
        if self._check is not None and self._check.wait_left() > 0:
            self._on_countdown_timeout()
            self._countdown.start()
        check, account, round_ = self._check, self.account, self._round
        if check is None:
            self._on_known(round_, False)
            return
        self._runner.network(
            lambda: check.knows_a_secret(account),
            lambda known: self._on_known(round_, known),
            lambda exc: self._on_known(round_, True),  # the field stays: it may still work
        )

    def say(self, problem: str) -> None:
        """One line under the field (a sign-in that failed, say)."""
        self.problem.setText(problem[:1].upper() + problem[1:])

    @Slot()
    def try_unlock(self) -> None:
        """Checks what was typed, off the GUI thread; `unlocked` if it is right."""
        if not self.can_unlock or self._checking or not self._entry.isVisible():
            return
        check = self._check
        if check is None:
            return
        if check.wait_left() > 0:
            self._on_countdown_timeout()
            self._countdown.start()
            return
        secret = self.password.text()
        if not secret:
            self.say(EMPTY_SECRET)
            return
        self._checking = True
        self._set_busy(True)
        self.problem.setText(CHECKING)
        account, round_ = self.account, self._round
        self._runner.network(
            lambda: check.verify(secret, account),
            lambda right: self._on_verified(round_, right),
            lambda exc: self._on_verify_failed(round_, exc),
        )

    def _on_verified(self, round_: int, right: bool) -> None:
        if round_ != self._round:
            return
        self._checking = False
        self._set_busy(False)
        if right:
            self.password.clear()
            self.problem.clear()
            self.unlocked.emit()
            return
        self.password.selectAll()
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)
        if self._check is not None and self._check.wait_left() > 0:
            self._on_countdown_timeout()
            self._countdown.start()
        else:
            self.say(WRONG_SECRET)

    def _on_verify_failed(self, round_: int, exc: Exception) -> None:
        if round_ != self._round:
            return
        self._checking = False
        self._set_busy(False)
        self.say(f"Could not check: {in_words(exc)}")

    def _on_known(self, round_: int, known: bool) -> None:
        if round_ != self._round or known:
            return
        self._entry.hide()
        self.hint.show()
        self.sign_in_button.show()
        self.sign_in_button.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot()
    def _on_countdown_timeout(self) -> None:
        left = self._check.wait_left() if self._check is not None else 0.0
        if left <= 0:
            self._countdown.stop()
            self.unlock_button.setEnabled(True)
            self.problem.clear()
            return
        self.unlock_button.setEnabled(False)
        self.problem.setText(f"Too many wrong tries: try again in {math.ceil(left)} s.")

    def _set_busy(self, busy: bool) -> None:
        self.password.setReadOnly(busy)
        self.unlock_button.setEnabled(not busy)
