"""Builds the running app: Qt application, task runner, window, then the store behind it.

The window is shown before SQLAlchemy is even imported: the store opens on the store
thread (as Anki loads its collection after its window appears), and the screens are
attached when it is ready. The store's key is found meanwhile on a thread of its own
(Argon2id runs outside the interpreter lock), and sync (httpx and the sync stack) loads
only once the first screen is up.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from db.errors import StoreUserError, in_words
from db.store.probe import STORE_FILENAME
from desktop.app_settings import AppSettings
from desktop.copy_guard import CopyGuard
from desktop.diagnostics import app_version
from desktop.logs import LOG_FILENAME, log_to
from desktop.runner import TaskRunner
from desktop.single_instance import InstanceServer, bring_running_forward, instance_name
from desktop.unlock import UnlockCheck, remember_password
from ui.main_window import PREFERRED_SIZE, MainWindow
from ui.screen_fit import place_on_screen, restore_or_place
from ui.style import STYLE_ARGUMENTS, apply_style

if TYPE_CHECKING:
    from db.services import LocalServices
    from db.store.cipher import StoreKey
    from db.store.local_store import Store
    from desktop.diagnostics import Diagnostics
    from desktop.sync_service import SyncService

log = logging.getLogger(__name__)

SCREENSHOT_TIMEOUT_MS = 60_000
# Sync starts once the first screen is up, or this long after the store opened if the
# screen could not load (an error on it): the rep can still sync.
SYNC_AFTER_MS = 3_000
# Where the window was when the rep closed it (Qt's own format, beside the store).
WINDOW_SETTINGS = "window.ini"
GEOMETRY_KEY = "main/geometry"


def open_services(
    data_dir: Path, key: Callable[[], StoreKey]
) -> tuple[Store, LocalServices, Callable[[str], bool]]:
    """Opens (and migrates, and encrypts) the store with `key`'s key and builds the
    services the screens read; runs on the store thread. Sync comes later (open_sync)."""
    from db.services import LocalServices
    from db.store.local_store import Store
    from desktop.store_key import passphrase_matches

    known = key()
    store = Store.open(data_dir, known)

    # What the idle lock asks: is this the store's passphrase (False where a keyring holds
    # its key)? Argon2id again, so the lock runs it off the GUI thread.
    def passphrase_check(typed: str) -> bool:
        return passphrase_matches(data_dir, typed, known)

    return store, LocalServices.for_store(store), passphrase_check


def open_sync(
    store: Store, data_dir: Path, runner: TaskRunner, sync_options: dict[str, Any]
) -> tuple[SyncService, Diagnostics]:
    """The sync service and diagnostics of an open store; runs on the store thread once the
    first screen is up (httpx and the sync stack are a fifth of a start's imports)."""
    from desktop.diagnostics import Diagnostics
    from desktop.sync_service import SyncService

    sync = SyncService(store, runner.on_store_thread, **sync_options)
    return sync, Diagnostics(store, runner.on_store_thread, data_dir / LOG_FILENAME)


def key_finder(data_dir: Path, passphrase: str | None = None) -> Callable[[], StoreKey]:
    """What finds the store's key (desktop.store_key), to call off the GUI thread."""

    def find() -> StoreKey:
        from desktop.store_key import store_key  # imported there too: not on the GUI thread

        return store_key(data_dir, passphrase)

    return find


def key_ahead(data_dir: Path) -> Callable[[], StoreKey]:
    """Starts finding the store's key (a keyring read, or Argon2id's quarter second, which
    runs outside the interpreter lock) while the window is built; returns its waiter."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-key")
    found = pool.submit(key_finder(data_dir))
    pool.shutdown(wait=False)  # its one thread ends with its one job
    return found.result


def build_window(store: Store, runner: TaskRunner, sync: SyncService | None = None) -> MainWindow:
    """A window attached to an already open store (tests and tools)."""
    from db.services import LocalServices
    from desktop.diagnostics import Diagnostics

    window = MainWindow(runner, store_label=str(store.path))
    window.attach(LocalServices.for_store(store), sync, Diagnostics(store, runner.on_store_thread))
    return window


def run_app(data_dir: Path, screenshot: Path | None = None, screenshot_when: str = "ready") -> int:
    """Runs the window until it closes. With `screenshot`, saves the window once the first
    accounts are on screen (or, for benchmarks, as soon as it is shown, or once sync is
    loaded as well and its status shown: `settled`) and exits."""

    _log_to(data_dir / LOG_FILENAME)
    existing = QApplication.instance()
    app = existing or QApplication([*sys.argv[:1], *STYLE_ARGUMENTS])
    assert isinstance(app, QApplication)
    app.setApplicationName("Fieldbrief")
    app.setOrganizationName("Fieldbrief")
    apply_style(app, fusion_set=existing is None)
    # A start timed to `settled` runs as a real one does: sync included, and alone on
    # its store (it would sync beside a window already open on it).
    whole_start = screenshot is None or screenshot_when == "settled"
    if whole_start:
        name = instance_name(data_dir)
        if bring_running_forward(name):
            print("fieldbrief: already open on this store; its window comes forward")
            return 0 if screenshot is None else 1  # and no screenshot was taken
    first_key = key_ahead(data_dir)  # once this is the store's only window
    runner = TaskRunner()
    # The idle lock's minutes and the company CA (settings.ini); what unlocks the window.
    app_settings = AppSettings(data_dir)
    unlock = UnlockCheck(data_dir)  # the store's passphrase check comes once it is open
    window = MainWindow(
        runner,
        store_label=str(data_dir / STORE_FILENAME),
        unlock_check=unlock,
        settings=app_settings,
    )
    if whole_start:
        instances = InstanceServer(name, window)
        instances.raise_requested.connect(lambda: _bring_forward(window))
    outcome: dict[str, object] = {"code": 0, "store": None}
    # An admin's wipe, or the company's offline limit passed: the copy is erased.
    guard = CopyGuard(window, runner, data_dir)

    def remember(password: str) -> None:
        try:
            remember_password(data_dir, password)
        except OSError:  # a full disk must not fail the sign-in; the lock asks the keyring
            log.warning("could not keep the unlock hash", exc_info=True)

    sync_options = {
        "on_wiped": guard.hear_wipe,
        "ca_file": lambda: app_settings.ca_file,
        "on_signed_in": remember,
    }

    def finish(code: int, message: str | None = None) -> None:
        if message:
            print(f"fieldbrief: {message}", file=sys.stderr)
        outcome["code"] = code
        window.close()

    def on_opened(opened: tuple[Store, LocalServices, Callable[[str], bool]]) -> None:
        store, services, passphrase_check = opened
        outcome["store"] = store
        unlock.set_passphrase_check(passphrase_check)
        window.attach(services)
        # A headless render shows the store as it is: no sync, no sign-in dialog; but one
        # timed to `settled` loads sync as a start does, and waits for its first status.
        if whole_start:
            # Sync once the first screen is up (or has had its time), not before it.
            once = _Once(lambda: runner.read(sync_of(store), on_sync_opened))
            window.ready.connect(once)
            QTimer.singleShot(SYNC_AFTER_MS, once)
            # Then (the store thread runs one job at a time) the services the first screen
            # did not need, while the rep reads it.
            window.ready.connect(lambda: runner.read(services.warm, _ignored))

    def sync_of(store: Store) -> Callable[[], tuple[SyncService, Diagnostics]]:
        return lambda: open_sync(store, data_dir, runner, sync_options)

    def on_sync_opened(opened: tuple[SyncService, Diagnostics]) -> None:
        sync, diagnostics = opened
        window.attach_sync(sync, diagnostics)
        guard.watch(outcome["store"], sync)  # type: ignore[arg-type]
        if screenshot is not None and window.sync is not None:  # timed to `settled`
            grab = _Once(lambda: QTimer.singleShot(0, save))
            window.sync.status_changed.connect(lambda _status: grab())

    def open_store(passphrase: str | None = None) -> None:
        outcome["typed"] = passphrase is not None
        key = first_key if passphrase is None else key_finder(data_dir, passphrase)
        runner.read(lambda: open_services(data_dir, key), on_opened, on_open_failed)

    def on_open_failed(exc: Exception) -> None:
        if screenshot is None and _passphrase_would_help(exc, typed=bool(outcome.get("typed"))):
            typed = _ask_passphrase(window, exc)
            if typed is not None:
                open_store(typed)
                return
            finish(1, "the store stays locked: no passphrase was given")
            return
        message = in_words(exc, "opening the store")
        if not isinstance(exc, StoreUserError):
            log.error("opening the store failed", exc_info=exc)
        window.show_fatal(message)
        if screenshot is None:
            from PySide6.QtWidgets import QMessageBox  # not needed before the first paint

            QMessageBox.critical(window, "Fieldbrief", f"Cannot open your territory:\n{message}")
        finish(1, message)

    def save() -> None:
        if window.grab().save(str(screenshot)):
            finish(0)
        else:
            finish(1, f"cannot write the screenshot {screenshot}")

    if screenshot is not None:
        if screenshot_when == "shown":
            QTimer.singleShot(0, save)
        elif screenshot_when == "ready":
            # Queued behind what `ready` posted (the last layout pass), then grabbed.
            window.ready.connect(lambda: QTimer.singleShot(0, save))
        QTimer.singleShot(
            SCREENSHOT_TIMEOUT_MS, lambda: finish(1, "the window did not finish loading in time")
        )

    settings = QSettings(str(data_dir / WINDOW_SETTINGS), QSettings.Format.IniFormat)
    if screenshot is None:
        restore_or_place(window, _saved_geometry(settings), PREFERRED_SIZE)
    else:
        place_on_screen(window, PREFERRED_SIZE)  # the same every run, whatever was saved
    window.show()
    # For Help > About; reading the installed metadata waits until the window is up.
    QTimer.singleShot(0, lambda: app.setApplicationVersion(app_version()))
    # Queued behind the first paint, so importing SQLAlchemy on the store thread does not
    # compete with drawing the window for the interpreter lock.
    QTimer.singleShot(0, open_store)
    code = app.exec()
    if screenshot is None:
        settings.setValue(GEOMETRY_KEY, window.saveGeometry())
        settings.sync()
    runner.shutdown()
    if outcome["store"] is not None:
        outcome["store"].close()  # type: ignore[attr-defined]
    return int(outcome["code"]) or code  # type: ignore[call-overload]


def _ignored(_result: object) -> None:
    """What a job's result is handed to when nothing waits for it."""


class _Once:
    """Calls `work` the first time it is called, never again."""

    def __init__(self, work: Callable[[], None]) -> None:
        self._work: Callable[[], None] | None = work

    def __call__(self) -> None:
        work, self._work = self._work, None
        if work is not None:
            work()


def _passphrase_would_help(exc: Exception, *, typed: bool) -> bool:
    """Whether the rep should be asked (again) for the store's passphrase: one is needed
    and none was given, or the one typed was wrong."""
    from db.store.cipher import WrongStoreKey
    from desktop.store_key import PassphraseNeeded

    return isinstance(exc, PassphraseNeeded) or (typed and isinstance(exc, WrongStoreKey))


def _ask_passphrase(window: MainWindow, exc: Exception) -> str | None:
    """The passphrase the rep types, or None if they cancel. A start-up question the rep
    is waiting for, not a job's: nothing else is on screen yet."""
    from desktop.store_key import MIN_PASSPHRASE, PassphraseNeeded
    from ui.passphrase_dialog import PassphraseDialog

    new = isinstance(exc, PassphraseNeeded) and exc.new
    wrong = "" if isinstance(exc, PassphraseNeeded) else "That passphrase is wrong: try again."
    dialog = PassphraseDialog(new=new, min_length=MIN_PASSPHRASE, message=wrong, parent=window)
    return dialog.value() if dialog.exec() == PassphraseDialog.DialogCode.Accepted else None


def _saved_geometry(settings: QSettings) -> bytes | None:
    """The window's saved place, if the file holds one (anything else is ignored)."""
    saved = settings.value(GEOMETRY_KEY)
    if isinstance(saved, QByteArray):
        return bytes(saved.data())
    return saved if isinstance(saved, bytes) else None


def _bring_forward(window: MainWindow) -> None:
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()


def _log_to(path: Path) -> None:
    """Our log, every uncaught failure and Qt's messages go to a file in the data folder,
    not the terminal (desktop.logs)."""
    log_to(path.parent)
    qt_log = logging.getLogger("qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }
    qInstallMessageHandler(lambda kind, _ctx, msg: qt_log.log(levels.get(kind, 30), msg))
