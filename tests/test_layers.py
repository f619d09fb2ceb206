"""The import direction of ../shared/STYLE.md, enforced by walking every module's imports,
and checked again in fresh interpreters: what the server loads, and what the app loads
before its window is first painted."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("db", "sync", "server", "ui", "desktop")

# sync/ modules both sides share (the protocol, the synced entities and their row schema,
# vocabularies, the profile definition, demo rows, file and CSV helpers). They import
# nothing of db/, the app, Qt, SQLAlchemy or httpx, and of sync/ only each other: db/ and
# server/ may import these and no other part of sync/ (sync.engine, sync.outcome and
# sync.collector are the client's and use db/).
SHARED_SYNC = (
    "sync.protocol",
    "sync.entities",
    "sync.row_schema",
    "sync.content_digest",
    "sync.enums",
    "sync.profile_definition",
    "sync.csv_safe",
    "sync.private_files",
    "sync.seed",
    "sync.demo",
)

# layer -> import prefixes it must never use
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "db": ("PySide6", "shiboken6", "ui", "desktop", "server", "httpx"),
    "sync": ("PySide6", "shiboken6", "ui", "desktop", "server"),
    "shared sync": (
        "PySide6",
        "shiboken6",
        "ui",
        "desktop",
        "server",
        "db",
        "sqlalchemy",
        "httpx",
    ),
    "server": ("PySide6", "shiboken6", "ui", "desktop", "db"),
    # The UI reads frozen rows from db services; it never opens sessions, engines or HTTP.
    "ui": ("sqlalchemy", "httpx", "desktop", "server", "sqlite3"),
    # The composition root builds the app; the server is another program.
    "desktop": ("server",),
}
# Layers whose imports of sync/ must be shared modules.
SHARED_SYNC_ONLY = frozenset({"db", "shared sync", "server"})

# What ui/ may import from db/ and sync/ at run time: values (DTOs, enums, errors,
# changes), the HTML reports it shows, and sync outcomes.
UI_MAY_IMPORT = (
    "db.dto",
    "db.dates",
    "db.labels",
    "db.enums",
    "db.errors",
    "db.changes",
    "db.briefing.dto",
    "db.briefing.report",
    "db.briefing.day",  # a day's briefings as HTML and text; it names the services, no SQL
    "db.profiles.report",
    "db.profiles.definition",  # the profile's questions: frozen dataclasses and enums
    "sync.outcome",
)
# ...and, only under `if TYPE_CHECKING:`, the services desktop/ hands it (their rows too):
# naming a service's type in an annotation loads nothing, and no session comes with it.
UI_MAY_NAME = (
    "db.accounts",
    "db.attention",
    "db.briefing.service",
    "db.briefing.warnings",
    "db.field",
    "db.profiles.book",
    "db.search",
    "db.services",
)


class Import(NamedTuple):
    line: int
    module: str
    type_only: bool  # under `if TYPE_CHECKING:`, so never run


def imports_of(path: Path) -> list[Import]:
    """Every absolute import in `path`; `from package import module` names the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []

    def visit(node: ast.AST, type_only: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(node.lineno, alias.name, type_only) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                module = f"{node.module}.{alias.name}"
                named = module if _is_ours(module) else node.module
                if not found or found[-1] != Import(node.lineno, named, type_only):
                    found.append(Import(node.lineno, named, type_only))
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, type_only)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, type_only)

    visit(tree, False)
    return found


def _is_ours(module: str) -> bool:
    path = ROOT.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    if _within(module, SHARED_SYNC):
        return "shared sync"
    return module.split(".")[0]


def violations(package: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        layer = layer_of(module_name(path))
        if layer not in FORBIDDEN:
            continue
        for line, module, type_only in imports_of(path):
            where = f"{path.relative_to(ROOT)}:{line} imports {module}"
            if _within(module, FORBIDDEN[layer]):
                bad.append(where)
            elif (
                layer in SHARED_SYNC_ONLY
                and _within(module, ("sync",))
                and module != "sync"
                and not _within(module, SHARED_SYNC)
            ):
                bad.append(f"{where}, not a shared sync module")
            elif layer == "ui" and _within(module, ("db", "sync")):
                allowed = UI_MAY_IMPORT + (UI_MAY_NAME if type_only else ())
                if not _within(module, allowed):
                    bad.append(f"{where}, not on ui/'s list")
    return bad


@pytest.mark.parametrize("package", PACKAGES)
def test_package_respects_the_import_direction(package: str) -> None:
    assert (ROOT / package).is_dir()
    assert violations(package) == []


def test_every_shared_sync_module_exists() -> None:
    for module in SHARED_SYNC:
        assert _is_ours(module), module


def test_the_walker_catches_a_stray_import(tmp_path: Path) -> None:
    module = tmp_path / "stray.py"
    module.write_text(
        "import os\nfrom PySide6.QtCore import QObject\nimport sqlalchemy.orm\n"
        "from sync import engine, enums\n"
        "if TYPE_CHECKING:\n    from db.search import SearchIndex\n"
        "def later():\n    from db.accounts import AccountDirectory\n"
    )
    assert imports_of(module) == [
        Import(1, "os", False),
        Import(2, "PySide6.QtCore", False),
        Import(3, "sqlalchemy.orm", False),
        Import(4, "sync.engine", False),
        Import(4, "sync.enums", False),
        Import(6, "db.search", True),
        Import(8, "db.accounts", False),
    ]


def _fresh_interpreter(code: str, *args: str) -> str:
    """Runs `code` in a new Python (only what it imports is loaded); its last output line."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_the_server_loads_nothing_of_the_app() -> None:
    """The server (and the demo rows its `demo` command loads lazily) runs without the
    app's store, the app or Qt: none of db/, desktop/, ui/ or PySide6 is even imported."""
    loaded = _fresh_interpreter(
        "import json, sys\n"
        "import server.app, server.cli, sync.seed\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('db', 'desktop', 'ui', 'PySide6', 'shiboken6'))))\n"
    )
    assert json.loads(loaded) == []


FIRST_PAINT = """
import json, os, sys, threading
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

import desktop.app as app_module
from ui.main_window import MainWindow

seen = {}
painted = threading.Event()


def loaded():
    return sorted(m for m in ("sqlalchemy", "httpx") if m in sys.modules)


def report(code):
    print(json.dumps(seen), flush=True)
    os._exit(code)  # right here: nothing else may load after the first paint


class Watch(QObject):
    def eventFilter(self, watched, event):
        if isinstance(watched, QWidget) and isinstance(watched.window(), MainWindow):
            kind = event.type()
            if kind == QEvent.Type.Show and watched.isWindow() and "shown" not in seen:
                seen["shown"] = loaded()
            elif kind == QEvent.Type.Paint and "painted" not in seen:
                seen["painted"] = loaded()
                painted.set()
                report(0)
        return False


class FirstPaint(MainWindow):
    def __init__(self, *args, **kwargs):
        # run_app has made the QApplication by now: watch every widget's events.
        self._watch = Watch()
        QApplication.instance().installEventFilter(self._watch)
        QTimer.singleShot(30_000, lambda: report(1))
        super().__init__(*args, **kwargs)


opening = app_module.open_services


def after_the_first_paint(*args):
    # The store opens on the store thread, queued behind the first paint; hold it until
    # the paint was seen, so a slow paint cannot make the check flaky.
    painted.wait(30)
    return opening(*args)


app_module.MainWindow = FirstPaint
app_module.open_services = after_the_first_paint
app_module.run_app(Path(sys.argv[1]))
report(1)
"""


def test_the_window_paints_before_sqlalchemy_or_httpx_is_loaded(tmp_path: Path) -> None:
    """Start-up as `fieldbrief` runs it (desktop.app.run_app), up to the window's first
    paint: the store (SQLAlchemy) and sync (httpx) load after it, on the store thread."""
    seen = json.loads(_fresh_interpreter(FIRST_PAINT, str(tmp_path / "data")))
    assert seen == {"shown": [], "painted": []}


SYNC_AFTER_READY = """
import json, sys
from pathlib import Path

from PySide6.QtCore import QTimer

import desktop.app as app_module
from ui.main_window import MainWindow

seen = []


def loaded():
    return "httpx" in sys.modules


def later():  # what the services load when first asked for, not for the first screen
    names = ["icalendar", "db.field.calendar_io", "db.briefing.service", "db.field.followups"]
    return [name for name in names if name in sys.modules]


class Recording(MainWindow):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ready.connect(lambda: seen.append(["ready", loaded(), later()]))
        QTimer.singleShot(60_000, self.close)

    def attach_sync(self, sync, diagnostics=None):
        super().attach_sync(sync, diagnostics)
        if sync is not None:  # attach() passes none on
            seen.append(["sync", diagnostics is not None, loaded()])
            self.waited = 0
            self.wait_for_warm()

    def wait_for_warm(self):  # the services left out of the first screen load after it
        self.waited += 1
        if len(later()) == 4 or self.waited > 500:
            seen.append(["warm", later()])
            self.close()
        else:
            QTimer.singleShot(20, self.wait_for_warm)


app_module.MainWindow = Recording
code = app_module.run_app(Path(sys.argv[1]))
print(json.dumps([code, seen]))
"""


def test_sync_loads_and_attaches_once_the_first_screen_is_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start-up as `fieldbrief` runs it: the first screen's data comes before the sync
    stack (httpx and the rest) and the services it does not read (icalendar, briefings,
    follow-ups) are loaded, and sync and diagnostics are attached after, and those services
    loaded."""
    monkeypatch.setenv("FIELDBRIEF_STORE_PASSPHRASE", "the layers test's passphrase")
    code, seen = json.loads(_fresh_interpreter(SYNC_AFTER_READY, str(tmp_path / "data")))
    assert code == 0
    assert seen[:2] == [["ready", False, []], ["sync", True, True]]
    assert seen[2] == [
        "warm",
        ["icalendar", "db.field.calendar_io", "db.briefing.service", "db.field.followups"],
    ]


SETTLED = """
import json, sys
from pathlib import Path

import desktop.app as app_module
from ui.main_window import MainWindow

seen = []


class Recording(MainWindow):
    def grab(self, *args):
        seen.append([self.sync is not None, self.sync_label.text(), "httpx" in sys.modules])
        return super().grab(*args)


app_module.MainWindow = Recording
code = app_module.run_app(Path(sys.argv[1]), Path(sys.argv[2]), "settled")
print(json.dumps([code, seen]))
"""


def test_a_start_timed_to_settled_waits_for_sync_and_its_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the bench times as a whole start: the screenshot comes once sync is loaded and
    its first status is on screen, not at the first screen (which loads no sync)."""
    monkeypatch.setenv("FIELDBRIEF_STORE_PASSPHRASE", "the layers test's passphrase")
    shot = tmp_path / "shot.png"
    code, seen = json.loads(_fresh_interpreter(SETTLED, str(tmp_path / "data"), str(shot)))
    assert code == 0
    assert seen == [[True, "Not signed in · working offline", True]]
    assert shot.stat().st_size > 0
