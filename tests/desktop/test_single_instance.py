"""One app per store: a second start brings the running window forward and ends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def start(data_dir: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "desktop", "--data-dir", str(data_dir), *args],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(log: Path, text: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not (log.exists() and text in log.read_text()):
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, log.read_text() if log.exists() else "no log"
        time.sleep(0.05)


def test_a_second_start_brings_the_first_forward_and_ends(tmp_path: Path) -> None:
    log = tmp_path / "fieldbrief.log"
    first = start(tmp_path)
    try:
        wait_for_line(log, "listening for later starts", first)
        second = start(tmp_path)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        assert out.strip() == "fieldbrief: already open on this store; its window comes forward"
        wait_for_line(log, "a second start on this store: the window comes forward", first)
        assert first.poll() is None  # the first window is still the one open
    finally:
        first.kill()
        first.wait(timeout=30)


def test_another_store_opens_its_own_window(tmp_path: Path) -> None:
    first = start(tmp_path / "one")
    try:
        wait_for_line(tmp_path / "one" / "fieldbrief.log", "listening for later starts", first)
        other = start(tmp_path / "two")
        try:
            wait_for_line(tmp_path / "two" / "fieldbrief.log", "listening for later starts", other)
        finally:
            other.kill()
            other.wait(timeout=30)
    finally:
        first.kill()
        first.wait(timeout=30)
