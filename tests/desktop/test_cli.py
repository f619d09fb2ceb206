"""The `fieldbrief` command line, run as a real subprocess like scripts and checks run it."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from db.store.local_store import STORE_FILENAME
from tests.helpers.app_store import open_app_store

pytestmark = pytest.mark.slow


def fieldbrief(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "desktop", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env if env is not None else os.environ.copy(),
        stdin=subprocess.DEVNULL,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, code: int = 1) -> str:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("fieldbrief")
    return lines[0]


@pytest.mark.parametrize("args", [["--help"], ["demo", "--help"]])
def test_every_command_has_help(args: list[str]) -> None:
    result = fieldbrief(*args)
    assert result.returncode == 0
    assert "--data-dir" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--bogus"],
        ["demo", "--accounts", "many"],
        ["demo", "--accounts", "0"],
        ["demo", "--seed", "x"],
        ["frobnicate"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: list[str]) -> None:
    assert "see --help" in assert_one_line_error(fieldbrief(*args), code=2)


def test_an_unreadable_store_exits_1_with_one_line(tmp_path: Path) -> None:
    (tmp_path / STORE_FILENAME).write_bytes(b"garbage" * 1000)
    line = assert_one_line_error(fieldbrief("--data-dir", tmp_path, "--screenshot", "x.png"))
    assert "not a Fieldbrief store" in line


def test_a_store_from_a_newer_app_exits_1_with_one_line(tmp_path: Path) -> None:
    assert fieldbrief("demo", "--accounts", "3", "--data-dir", tmp_path).returncode == 0
    with open_app_store(tmp_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_future'")
    line = assert_one_line_error(fieldbrief("--data-dir", tmp_path, "--screenshot", "x.png"))
    assert "update the app" in line


@pytest.mark.parametrize(
    "command",
    [
        ["demo", "--accounts", "3"],
        ["sync", "--server", "http://127.0.0.1:9", "--user", "ana"],
    ],
)
def test_another_apps_database_is_refused_and_never_changed(
    tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / STORE_FILENAME
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
        conn.execute("INSERT INTO recipes VALUES ('soup')")
    conn.close()
    path.chmod(0o644)
    before = path.read_bytes()
    env = {**os.environ, "FIELDBRIEF_PASSWORD": "a long secret"}
    line = assert_one_line_error(fieldbrief(*command, "--data-dir", tmp_path, env=env))
    assert "not a Fieldbrief store" in line
    assert path.read_bytes() == before  # still in rollback-journal mode, rows untouched
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == [STORE_FILENAME]  # no -wal, -shm


def test_no_display_says_so_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    line = assert_one_line_error(fieldbrief("--data-dir", tmp_path, env=env), code=3)
    assert "no display" in line and f"--data-dir {tmp_path} --screenshot" in line


def test_demo_then_screenshot(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = fieldbrief("demo", "--accounts", "40", "--seed", "7", "--data-dir", data)
    assert made.returncode == 0, made.stderr
    assert "40 accounts" in made.stdout

    again = fieldbrief("demo", "--accounts", "40", "--seed", "7", "--data-dir", data)
    assert "already" in assert_one_line_error(again)
    if os.name == "posix":  # the rep's data is readable by the rep only
        assert modes(data, STORE_FILENAME) == {".": 0o700, STORE_FILENAME: 0o600}
        # As an older version left them: the window's start tightens them again.
        data.chmod(0o755)
        (data / STORE_FILENAME).chmod(0o644)
        (data / "fieldbrief.log").write_text("from an older version\n")
        (data / "fieldbrief.log").chmod(0o644)

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    shot = tmp_path / "shot.png"
    result = fieldbrief("--data-dir", data, "--screenshot", shot, env=env)
    assert result.returncode == 0, result.stderr
    image = QImage(str(shot))
    assert image.width() >= 900 and image.height() >= 560
    if os.name == "posix":
        assert modes(data, STORE_FILENAME, "fieldbrief.log") == {
            ".": 0o700, STORE_FILENAME: 0o600, "fieldbrief.log": 0o600,
        }  # fmt: skip
        assert (data / "fieldbrief.log").read_text().startswith("from an older version")


def modes(folder: Path, *names: str) -> dict[str, int]:
    """The permission bits of `folder` (as ".") and of the files `names` in it."""
    return {name: stat.S_IMODE((folder / name).stat().st_mode) for name in (".", *names)}


def test_demo_replace_starts_over(tmp_path: Path) -> None:
    assert fieldbrief("demo", "--accounts", "5", "--data-dir", tmp_path).returncode == 0
    result = fieldbrief("demo", "--accounts", "8", "--data-dir", tmp_path, "--replace")
    assert result.returncode == 0, result.stderr
    with open_app_store(tmp_path) as conn:
        assert conn.execute("SELECT count(*) FROM account").fetchone() == (8,)


def test_screenshot_into_a_missing_folder_fails_cleanly(tmp_path: Path) -> None:
    line = assert_one_line_error(
        fieldbrief("--data-dir", tmp_path, "--screenshot", tmp_path / "nope" / "x.png")
    )
    assert "does not exist" in line


@pytest.mark.parametrize("retries", ["0", "21", "lots"])
def test_sync_retries_outside_1_to_20_are_a_usage_error(tmp_path: Path, retries: str) -> None:
    done = fieldbrief(
        "sync", "--server", "http://127.0.0.1:9", "--user", "ana", "--retries", retries,
        "--data-dir", tmp_path,
    )  # fmt: skip
    assert done.returncode == 2 and "from 1 to 20" in done.stderr
    assert not (tmp_path / STORE_FILENAME).exists()  # refused before anything was opened
