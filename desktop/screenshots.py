"""Window grabs of every page and dialog on a demo territory, at a laptop's and a desktop's
screen size, for the README and for looking at what we build.

    python -m desktop.screenshots OUT_DIR          (or `make screenshots`)

Each screen size runs in its own process: Qt's offscreen platform takes its screen from a
file when the application starts (QT_QPA_PLATFORM=offscreen:configfile=...).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

SIZES = {"1366x768": (1366, 768), "1920x1080": (1920, 1080)}
TASK_BAR = 40  # what a desktop keeps for itself at the bottom of the screen
DEMO_ACCOUNTS = 300
WAIT_S = 20.0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[0] == "--one":
        return _grab_all(Path(args[1]), os.environ["FIELDBRIEF_SHOTS_STORE"])
    if len(args) != 1:
        print("usage: python -m desktop.screenshots OUT_DIR", file=sys.stderr)
        return 2
    out = Path(args[0])
    with tempfile.TemporaryDirectory(prefix="fieldbrief-shots-") as work:
        data = Path(work) / "demo"
        _write_demo(data)
        for name, (width, height) in SIZES.items():
            screens = Path(work) / f"{name}.json"
            screens.write_text(json.dumps({"screens": [_screen(width, height)]}))
            env = {
                **os.environ,
                "QT_QPA_PLATFORM": f"offscreen:configfile={screens}",
                "FIELDBRIEF_SHOTS_STORE": str(data),
            }
            target = out / name
            target.mkdir(parents=True, exist_ok=True)
            command = [sys.executable, "-m", "desktop.screenshots", "--one", str(target)]
            if subprocess.run(command, env=env, check=False).returncode != 0:
                print(f"screenshots at {name} failed", file=sys.stderr)
                return 1
            print(f"{name}: {len(list(target.glob('*.png')))} screenshots in {target}")
    return 0


def _screen(width: int, height: int) -> dict[str, object]:
    return {"name": "screen", "x": 0, "y": 0, "width": width, "height": height,
            "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}  # fmt: skip


def _write_demo(data: Path) -> None:
    from db.demo.territory import generate_demo
    from db.store.local_store import Store

    store = Store.open(data)
    try:
        generate_demo(store, DEMO_ACCOUNTS, 1, today=date.today())
    finally:
        store.close()


def _grab_all(out: Path, data: str) -> int:
    from PySide6.QtCore import QRect, QSize
    from PySide6.QtWidgets import QApplication

    from db.store.local_store import Store
    from desktop.app import build_window
    from desktop.runner import TaskRunner
    from ui.main_window import PREFERRED_SIZE
    from ui.screen_fit import place_on_screen
    from ui.style import apply_style

    app = QApplication([sys.argv[0]])
    apply_style(app)
    screen = app.primaryScreen().geometry()
    area = QRect(0, 0, screen.width(), screen.height() - TASK_BAR)
    store = Store.open(Path(data))
    runner = TaskRunner()
    window = build_window(store, runner)
    place_on_screen(window, PREFERRED_SIZE, area)
    window.show()
    _until(app, lambda: window.is_ready)
    shots: list[tuple[str, Callable[[], object]]] = [
        ("1-today", lambda: window.show_page(0)),
        ("2-accounts", lambda: window.show_page(1)),
        ("3-search", lambda: _search(window)),
        ("4-needs-attention", lambda: window.show_page(3)),
        ("5-profiles", lambda: window.show_page(4)),
        ("6-follow-ups", lambda: window.show_page(5)),
        ("7-leads", lambda: window.show_page(6)),
    ]
    for name, show in shots:
        show()
        _settle(app)
        window.grab().save(str(out / f"{name}.png"))
    account = window.accounts_page.pane.detail
    assert account is not None
    meeting = next(iter(window.today_page.model.rows), None)
    dialogs: list[tuple[str, Callable[[], object]]] = [
        (
            "briefing",
            lambda: window.open_briefing(
                meeting.account_id if meeting else account.id, meeting.id if meeting else None
            ),
        ),  # fmt: skip
        ("profile", lambda: window.open_profile(account.contacts[0].id)),
        ("ladder", lambda: window.open_ladder(account.id)),
        ("holds", lambda: _opened(lambda: window.open_holds(account.id), window, "hold_dialog")),
        ("shortcuts", lambda: _opened(window._show_shortcuts, window, "shortcuts_dialog")),
    ]
    for name, open_it in dialogs:
        dialog = open_it()
        _settle(app, 0.8)
        dialog.grab().save(str(out / f"dialog-{name}.png"))  # type: ignore[attr-defined]
        dialog.close()  # type: ignore[attr-defined]
    window.new_note(account.id, None)
    _until(app, lambda: bool(window.note_drafts))
    _settle(app)
    next(iter(window.note_drafts.values())).grab().save(str(out / "dialog-note.png"))
    window.resize(QSize(900, 560))
    window.show_page(1)
    _settle(app)
    window.grab().save(str(out / "2-accounts-narrow.png"))
    window.close()
    runner.shutdown()
    store.close()
    return 0


def _opened(open_it: Callable[[], None], window: object, name: str) -> object:
    """Opens a dialog the window keeps as `name`, and returns it."""
    open_it()
    return getattr(window, name)


def _search(window: object) -> None:
    from ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    window.show_page(2)
    window.search_page.search_box.setText("hamb")


def _settle(app: object, seconds: float = 0.5) -> None:
    """Lets loads finish and layouts settle."""
    from PySide6.QtWidgets import QApplication

    assert isinstance(app, QApplication)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def _until(app: object, done: Callable[[], bool]) -> None:
    from PySide6.QtWidgets import QApplication

    assert isinstance(app, QApplication)
    end = time.monotonic() + WAIT_S
    while not done():
        if time.monotonic() > end:
            raise TimeoutError("the window did not load in time")
        app.processEvents()
        time.sleep(0.02)


if __name__ == "__main__":
    sys.exit(main())
