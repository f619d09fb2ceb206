"""bench/pages.py opens every page and dialog of the real window on a small store, reading only."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from bench.__main__ import page_opens
from bench.keyed import open_store
from bench.pages import run
from db.demo.territory import generate_demo
from db.store.models import OutboxEntry, ProfileAnswer

ROOT = Path(__file__).resolve().parents[2]
OPENED = (
    "Today",
    "Accounts",
    "Search ('Ham' typed)",
    "Needs attention",
    "Profiles (key contacts)",
    "Follow-ups",
    "Leads",
    "Profiles (all contacts)",
    "Today reloaded (a sync or edit)",
    "Accounts reloaded (a sync or edit)",
    "Needs attention reloaded (a sync)",
    "Briefing (Ctrl+B on Accounts)",
    "Profile editor (Enter on Profiles)",
)
ROW = re.compile(r"\d+\.\d ms \(p50 \d+\.\d, first \d+\.\d; peak RSS \d+ MiB, \+\d+\)")


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 40-account demo territory, encrypted as the bench's stores are."""
    folder = tmp_path_factory.mktemp("territory")
    store = open_store(folder)
    try:
        generate_demo(store, 40, 1, today=dt.date.today())
    finally:
        store.close()
    return folder


def _written(folder: Path) -> tuple[int, int]:
    store = open_store(folder)
    try:
        with store.reading() as session:
            outbox = session.scalar(select(func.count()).select_from(OutboxEntry))
            answers = session.scalar(select(func.count()).select_from(ProfileAnswer))
        return outbox or 0, answers or 0
    finally:
        store.close()


def test_every_page_and_dialog_is_opened_and_reported(demo_dir: Path, qtbot: QtBot) -> None:
    before = _written(demo_dir)
    rows = run(demo_dir, opens=2)
    by_name = {figure: (value, target, verdict) for figure, value, target, verdict in rows}
    assert by_name["pages and dialogs (below): opens of each"][0].startswith("2, window ")
    for name in OPENED:
        value, target, verdict = by_name[f"open {name} p95"]
        assert ROW.fullmatch(value), (name, value)
        assert target == "< 100 ms"
        assert verdict in ("ok", "MISSED")
    assert re.fullmatch(
        r"\+\d+ MiB \(\d+ MiB at the first screen; \d+ MiB resident at the end\)",
        by_name["peak memory growth over the opens (RSS)"][0],
    )
    assert len(rows) == len(OPENED) + 2
    # Opening pages and dialogs is reading: nothing was written, nothing queued to send.
    assert _written(demo_dir) == before
    assert before[0] == 0 and before[1] > 0


@pytest.mark.slow
def test_make_bench_takes_the_rows_from_a_process_of_their_own(demo_dir: Path) -> None:
    rows = page_opens(demo_dir, opens=2)
    figures = [figure for figure, *_ in rows]
    assert figures[0] == "pages and dialogs (below): opens of each"
    assert figures[1:-1] == [f"open {name} p95" for name in OPENED]
    assert figures[-1] == "peak memory growth over the opens (RSS)"
    # Its own offscreen screen, a desktop's: the window at its preferred size.
    assert rows[0][1] == "2, window 1440x860, offscreen"


def test_a_folder_without_a_store_is_one_line_and_no_new_store(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.pages", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"bench: no store in {tmp_path}\n"
    assert list(tmp_path.iterdir()) == []
