"""Each page and dialog of the real window opened as a rep does: time to painted rows, memory."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QEventLoop,
    QMessageLogContext,
    QObject,
    Qt,
    QTimer,
    QtMsgType,
    SignalInstance,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication

from bench.report import Row, percentile, print_table, verdict

if TYPE_CHECKING:
    from db.store.local_store import Store
    from desktop.runner import TaskRunner
    from ui.main_window import MainWindow

OPENS = 20
TARGET_MS = 100
TIMEOUT_S = 120.0  # for one open: the machine's cores are shared, and a stall must end
SEARCH_TEXT = "Ham"
ANSWERED = "Answered"  # the Profiles list's column of answers given
# Paint passes after the last one that painted anything, before the open counts as shown
# (a layout settled in one pass asks for another paint in the next).
QUIET_PASSES = 2
MAX_PAINT_PASSES = 50
# A desktop's screen, as the tests': the window opens at its preferred 1440x860, so an open
# paints the rows a rep sees. The offscreen plugin's own screen is 800x800.
SCREEN = {
    "screens": [
        {
            "name": "desktop",
            "x": 0,
            "y": 0,
            "width": 1920,
            "height": 1080,
            "logicalDpi": 96,
            "logicalBaseDpi": 96,
            "dpr": 1,
        }
    ]
}

# What an open waits for: signals asked for once it has started (a dialog's exist only
# then; they are emitted after a store read, so none is missed).
Signals = Callable[[], list[SignalInstance]]


@dataclass
class Opened:
    """One page's or dialog's opens: milliseconds each, and this process's memory."""

    name: str
    ms: list[float] = field(default_factory=list)
    maxrss_before_kib: int = 0
    maxrss_after_kib: int = 0
    rss_after_kib: int = 0


def maxrss_kib() -> int:
    """This process's peak resident memory so far (KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def rss_kib() -> int:
    """This process's resident memory now (KiB), from /proc; 0 where there is none."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class _PaintCounter(QObject):
    """Counts paint events anywhere in the app (installed only after an open's data is
    in: a filter in Python on every event would slow what is timed)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


class Bench:
    """Drives one window: switches, waits, times. Waiting polls nothing: the GUI thread
    sleeps until an event arrives (a delivered read, a paint), as in the app's own loop."""

    def __init__(self, runner: TaskRunner) -> None:
        self.runner = runner
        # Wakes the waiting loop now and then, so a wait that never ends says so.
        self._watchdog = QTimer()
        self._watchdog.setInterval(500)
        self._paints = _PaintCounter()

    def wait(self, condition: Callable[[], bool], what: str) -> None:
        """Runs the event loop until `condition` holds and the store thread has delivered
        every read it was given (their callbacks have run here, on the GUI thread)."""
        deadline = time.perf_counter() + TIMEOUT_S
        self._watchdog.start()
        try:
            while not (condition() and not self.runner.busy):
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"{what}: not loaded after {TIMEOUT_S:.0f} s")
                QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        finally:
            self._watchdog.stop()

    def painted(self) -> float:
        """Processes what is pending until the paints it brings are done; the time of the
        end of the last pass that painted (or of the first pass)."""
        app = QCoreApplication.instance()
        assert app is not None
        app.installEventFilter(self._paints)
        try:
            QCoreApplication.processEvents()
            ended, quiet = time.perf_counter(), 0
            for _ in range(MAX_PAINT_PASSES):
                before = self._paints.count
                QCoreApplication.processEvents()
                if self._paints.count == before:
                    quiet += 1
                    if quiet == QUIET_PASSES:
                        break
                else:
                    ended, quiet = time.perf_counter(), 0
            return ended
        finally:
            app.removeEventFilter(self._paints)

    def settle(self) -> None:
        """Everything started so far loaded and painted."""
        self.wait(lambda: True, "settling")
        self.painted()

    def timed(self, what: str, start: Callable[[], object], signals: Signals = list) -> float:
        """Milliseconds from `start()` until each of `signals()` has been emitted, every
        read is delivered, and the paint that follows is done."""
        heard: list[bool] = []
        hooks: list[tuple[SignalInstance, Callable[..., None]]] = []
        started = time.perf_counter()
        start()
        for signal in signals():
            index = len(heard)
            heard.append(False)

            def hear(*_args: object, index: int = index) -> None:
                heard[index] = True

            signal.connect(hear)
            hooks.append((signal, hear))
        try:
            self.wait(lambda: all(heard), what)
            return (self.painted() - started) * 1000
        finally:
            for signal, hear in hooks:
                signal.disconnect(hear)

    def opens(
        self, name: str, count: int, one: Callable[[], float], between: Callable[[], object]
    ) -> Opened:
        """`one()` timed `count` times, each after `between()` and a settled window."""
        taken = Opened(name, maxrss_before_kib=maxrss_kib())
        for _ in range(count):
            between()
            self.settle()
            taken.ms.append(one())
        self.settle()
        taken.maxrss_after_kib = maxrss_kib()
        taken.rss_after_kib = rss_kib()
        return taken


def measure(
    window: MainWindow, runner: TaskRunner, account_id: uuid.UUID, count: int = OPENS
) -> list[Opened]:
    """Opens every page, then the briefing of `account_id` and the profile editor of the
    key contact with the most answers, `count` times each, on a window whose first screen
    is loaded. Reads only: the store is left as it was."""
    from ui.main_window import ACCOUNTS, ATTENTION, FOLLOW_UPS, LEADS, PROFILES, SEARCH, TODAY
    from ui.profiles_page import PROFILE_COLUMN

    bench = Bench(runner)
    bench.settle()
    results: list[Opened] = []

    def page(name: str, index: int, signals: Signals = list) -> None:
        # Away to a page that reads nothing when shown, so the reads timed are this page's.
        away = ACCOUNTS if index == TODAY else TODAY

        def one() -> float:
            # What the sidebar's click and Ctrl+1 … 7 do.
            return bench.timed(name, lambda: window.show_page(index), signals)

        results.append(bench.opens(name, count, one, lambda: window.show_page(away)))

    def reload(name: str, index: int, start: Callable[[], None], signals: Signals) -> None:
        window.show_page(index)

        def one() -> float:
            return bench.timed(name, start, signals)

        results.append(bench.opens(name, count, one, _nothing))

    today, accounts = window.today_page, window.accounts_page
    attention, search, profiles = window.attention_page, window.search_page, window.profiles_page

    # Today, Accounts and Needs attention read nothing when shown (what they show was read
    # at start, and again when a write or a sync touches it): their open is the switch and
    # its paint. Their reload, what a sync or an edit costs, is timed apart below.
    page("Today", TODAY)
    page("Accounts", ACCOUNTS)
    window.show_page(SEARCH)
    search.search_box.setText(SEARCH_TEXT)  # typed once; each open searches it again
    bench.wait(lambda: search.model.rowCount() > 0, "the first search")
    page(f"Search ({SEARCH_TEXT!r} typed)", SEARCH, lambda: [search.results_shown])
    page("Needs attention", ATTENTION)
    page("Profiles (key contacts)", PROFILES, lambda: [profiles.loaded])
    page("Follow-ups", FOLLOW_UPS, lambda: [window.followups_page.loaded])
    page("Leads", LEADS, lambda: [window.leads_page.loaded])
    # "Key contacts only" unticked (it stays so while the app runs): every contact's
    # completeness, the 300k.
    window.show_page(PROFILES)
    bench.settle()
    profiles.key_only.setChecked(False)
    bench.settle()
    page("Profiles (all contacts)", PROFILES, lambda: [profiles.loaded])
    window.show_page(PROFILES)
    bench.settle()
    profiles.key_only.setChecked(True)
    bench.settle()

    reload(
        "Today reloaded (a sync or edit)",
        TODAY,
        today.refresh,
        lambda: [today.meetings_loaded, today.reminders_loaded],
    )
    reload(
        "Accounts reloaded (a sync or edit)",
        ACCOUNTS,
        accounts.model.refresh,
        lambda: [accounts.model.page_loaded, accounts.pane.detail_shown],
    )
    reload(
        "Needs attention reloaded (a sync)",
        ATTENTION,
        attention.refresh,
        lambda: [attention.count_changed],
    )

    # The briefing (Ctrl+B) of the account, on Accounts, where Enter on a search result
    # puts it.
    window.open_account(account_id)
    bench.wait(lambda: accounts.pane.detail is not None, "the briefing's account")
    if accounts.pane.account_id != account_id:
        raise LookupError("the account to brief on could not be selected on Accounts")
    key = (account_id, None)
    results.append(
        bench.opens(
            "Briefing (Ctrl+B on Accounts)",
            count,
            lambda: bench.timed(
                "the briefing",
                window.open_selected_briefing,
                lambda: [window.briefing_dialogs[key].loaded],
            ),
            lambda: _close(bench, window.briefing_dialogs, key),
        )
    )
    _close(bench, window.briefing_dialogs, key)

    # The profile editor of the key contact with the most answers: the Profiles list
    # sorted by "Answered", most first (its header clicked twice), its first row's Enter.
    window.show_page(PROFILES)
    bench.settle()
    model = profiles.completeness
    answered = next(
        column
        for column in range(model.columnCount())
        if model.headerData(column, Qt.Orientation.Horizontal) == ANSWERED
    )
    profiles.completeness_view.sortByColumn(answered, Qt.SortOrder.DescendingOrder)
    bench.settle()
    if not model.rowCount():
        raise LookupError("no key contact to open the profile of")
    first = profiles.completeness.index(0, 0)
    contact_id = profiles.completeness.row_at(0).contact_id
    results.append(
        bench.opens(
            "Profile editor (Enter on Profiles)",
            count,
            lambda: bench.timed(
                "the profile editor",
                lambda: profiles.completeness_view.activated.emit(first),
                lambda: [window.profile_dialogs[contact_id].loaded],
            ),
            lambda: _close(bench, window.profile_dialogs, contact_id),
        )
    )
    _close(bench, window.profile_dialogs, contact_id)
    profiles.completeness_view.sortByColumn(PROFILE_COLUMN, Qt.SortOrder.AscendingOrder)
    bench.settle()
    return results


def _close(bench: Bench, dialogs: dict[Any, Any], key: object) -> None:
    """Closes an open dialog and waits until the window has let it go and Qt has freed it,
    so the next open builds a new one, as a rep's next Ctrl+B does."""
    dialog = dialogs.get(key)
    if dialog is None:
        return
    dialog.close()
    bench.wait(lambda: key not in dialogs and not shiboken6.isValid(dialog), "closing a dialog")


def _nothing() -> None:
    pass


def busiest_account(store: Store) -> uuid.UUID:
    """The account with the most activities: its briefing has the most to show."""
    from sqlalchemy import func, select

    from db.store.models import Activity

    with store.reading() as session:
        found = session.execute(
            select(Activity.account_id)
            .where(Activity.deleted_at.is_(None))
            .group_by(Activity.account_id)
            .order_by(func.count().desc(), Activity.account_id)
            .limit(1)
        ).scalar_one_or_none()
    if found is None:
        raise LookupError("the store has no activity, so no briefing to open")
    return found


def _quiet_qt_messages(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    # The offscreen plugin says for every dialog that it cannot raise windows.
    if not message.startswith("This plugin does not support"):
        print(message, file=sys.stderr)


def qt_app() -> QApplication:
    """The running QApplication, or one made as the app makes it (Fusion, its palette),
    on a desktop-sized offscreen screen unless another platform was asked for."""
    from ui.style import STYLE_ARGUMENTS, apply_style

    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    qInstallMessageHandler(_quiet_qt_messages)
    with tempfile.TemporaryDirectory() as folder:
        if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
            config = Path(folder) / "screen.json"
            config.write_text(json.dumps(SCREEN))
            os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
        app = QApplication([sys.argv[0], *STYLE_ARGUMENTS])  # reads the file, once
    apply_style(app, fusion_set=True)
    return app


def run(data: Path, opens: int = OPENS, heap: bool = False) -> list[Row]:
    """Opens the store in `data`, builds the real window on it (offscreen), waits for its
    first screen, then times every page and dialog; the table's rows. `heap`: also the
    Python heap the opens added (tracemalloc, which slows every open: timings are then
    not comparable)."""
    from bench.keyed import open_store
    from desktop.app import build_window
    from desktop.runner import TaskRunner

    qt_app()
    store = open_store(data)
    runner = TaskRunner()
    try:
        account_id = busiest_account(store)
        window = build_window(store, runner)
        window.show()
        bench = Bench(runner)
        bench.wait(lambda: window.is_ready, "the first screen")
        bench.settle()
        size = window.size()
        started_kib = maxrss_kib()
        if heap:
            tracemalloc.start()
        opened = measure(window, runner, account_id, opens)
        heap_kib = None
        if heap:
            current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            heap_kib = (current // 1024, peak // 1024)
        window.close()
    finally:
        runner.shutdown()
        store.close()
    return rows(opened, started_kib, f"{size.width()}x{size.height()}", heap_kib)


def rows(
    opened: list[Opened],
    started_kib: int,
    window_size: str,
    heap_kib: tuple[int, int] | None = None,
) -> list[Row]:
    """The figures: each page's and dialog's p95 against the target, with its p50, its
    first open and the process's peak memory once its opens were done."""
    table: list[Row] = []
    if opened:
        table.append(
            (
                "pages and dialogs (below): opens of each",
                f"{len(opened[0].ms)}, window {window_size}, offscreen",
                "",
                "",
            )
        )
    for taken in opened:
        p95 = percentile(taken.ms, 95)
        grew = (taken.maxrss_after_kib - taken.maxrss_before_kib) / 1024
        table.append(
            (
                f"open {taken.name} p95",
                f"{p95:.1f} ms (p50 {percentile(taken.ms, 50):.1f}, first {taken.ms[0]:.1f};"
                f" peak RSS {taken.maxrss_after_kib / 1024:.0f} MiB, +{grew:.0f})",
                f"< {TARGET_MS} ms",
                verdict(p95 < TARGET_MS),
            )
        )
    if opened:
        end = opened[-1]
        table.append(
            (
                "peak memory growth over the opens (RSS)",
                f"+{(end.maxrss_after_kib - started_kib) / 1024:.0f} MiB "
                f"({started_kib / 1024:.0f} MiB at the first screen; "
                f"{end.rss_after_kib / 1024:.0f} MiB resident at the end)",
                "",
                "",
            )
        )
    if heap_kib is not None:
        current, peak = heap_kib
        table.append(
            (
                "Python heap growth over the opens (tracemalloc)",
                f"+{current / 1024:.1f} MiB kept, +{peak / 1024:.1f} MiB at peak",
                "",
                "",
            )
        )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pages",
        description="Times opening each page and dialog of the app on the store in DATA_DIR.",
    )
    parser.add_argument("data_dir", type=Path, metavar="DATA_DIR")
    parser.add_argument("--opens", type=int, default=OPENS, help="opens of each (default 20)")
    parser.add_argument(
        "--heap", action="store_true", help="also the Python heap growth (slows every open)"
    )
    parser.add_argument("--json", action="store_true", help="the rows as one line of JSON")
    args = parser.parse_args(argv)
    if args.opens < 1:
        parser.error("--opens must be at least 1")
    from db.errors import StoreUserError, in_words
    from db.store.local_store import STORE_FILENAME

    if not (args.data_dir / STORE_FILENAME).is_file():
        # Opening would make a new, empty store there: a benchmark of nothing.
        print(f"bench: no store in {args.data_dir}", file=sys.stderr)
        return 1
    try:
        table = run(args.data_dir, args.opens, args.heap)
    except (StoreUserError, TimeoutError, LookupError) as exc:
        said = in_words(exc, "opening the store") if isinstance(exc, StoreUserError) else exc
        print(f"bench: {said}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(table))
    else:
        print_table(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
