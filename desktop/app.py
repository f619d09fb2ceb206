"""Builds the running app: Qt application, task runner, services and main window."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from db.services import LocalServices
from db.store import Store
from desktop.runner import TaskRunner
from ui.main_window import MainWindow
from ui.style import apply_style

log = logging.getLogger(__name__)

SCREENSHOT_TIMEOUT_MS = 60_000


def build_window(store: Store, runner: TaskRunner) -> MainWindow:
    """The composition root: every object the window uses is made here and handed in."""
    return MainWindow(runner, LocalServices.for_store(store), store_label=str(store.path))


def run_app(store: Store, screenshot: Path | None = None) -> int:
    """Runs the window until it closes; with `screenshot`, saves it once ready and exits."""
    _log_to(store.path.parent / "fieldbrief.log")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Fieldbrief")
    app.setOrganizationName("Fieldbrief")
    apply_style(app)
    runner = TaskRunner()
    window = build_window(store, runner)
    outcome = {"code": 0}

    if screenshot is not None:

        def save() -> None:
            if not window.grab().save(str(screenshot)):
                print(f"fieldbrief: cannot write the screenshot {screenshot}", file=sys.stderr)
                outcome["code"] = 1
            window.close()

        def give_up() -> None:
            print("fieldbrief: the window did not finish loading in time", file=sys.stderr)
            outcome["code"] = 1
            window.close()

        # A short pause after `ready` lets the last layout pass settle before the grab.
        window.ready.connect(lambda: QTimer.singleShot(100, save))
        QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, give_up)

    window.show()
    window.start()
    code = app.exec()
    runner.shutdown()
    return outcome["code"] or code


def _log_to(path: Path) -> None:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
