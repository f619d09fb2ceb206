"""Cold starts, timed from a small process: `python -m bench.starts DATA` prints JSON.

A child's peak RSS (ru_maxrss) starts at its parent's size when it is spawned: Linux
carries the high-water mark over the exec. Spawned from the bench itself (SQLAlchemy, Qt's
models and a mapped store loaded: 90 MiB and more), a bare window measured the bench, not
itself. This module imports the standard library only, so each child's peak is its own.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
START_RUNS = 7


def timed_start(args: list[str], shot: Path) -> tuple[float, int]:
    """Seconds from spawning a process until it has written its screenshot (the window is
    on screen by then), and the process's peak RSS in KiB."""
    shot.unlink(missing_ok=True)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    started = time.perf_counter()
    child = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while not shot.exists() and child.poll() is None:
        time.sleep(0.001)
    elapsed = time.perf_counter() - started
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or not shot.exists():
        assert child.stderr is not None
        raise SystemExit(f"bench: {' '.join(args)} failed: {child.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss


def cold_starts(data: Path, runs: int = START_RUNS) -> dict[str, tuple[float, int]]:
    """Median time to a shown window (bare Qt, the app), to the first accounts shown (the
    stack's floor: bench/floor_window.py; the app) and to the whole start (sync loaded
    too), and each one's highest peak RSS (KiB)."""
    app = [sys.executable, "-m", "desktop", "--data-dir", str(data), "--screenshot"]
    with tempfile.TemporaryDirectory() as tmp:
        shot = Path(tmp) / "shot.png"
        commands = {
            "bare": [sys.executable, str(HERE / "bare_window.py"), str(shot)],
            "floor": [sys.executable, str(HERE / "floor_window.py"), str(data), str(shot)],
            "shown": [*app, str(shot), "--screenshot-when", "shown"],
            "ready": [*app, str(shot)],
            # The whole start: sync loaded after the first screen, and its status shown.
            "settled": [*app, str(shot), "--screenshot-when", "settled"],
        }
        for args in commands.values():  # warm the page cache once, as any second start would
            timed_start(args, shot)
        # Taken in turns (bare, app, app, bare, ...), so a stretch when this machine runs
        # slow falls on both sides of the ratio instead of on one.
        samples: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, args in commands.items():
                samples[name].append(timed_start(args, shot))
        return {
            name: (statistics.median(s for s, _ in taken), max(rss for _, rss in taken))
            for name, taken in samples.items()
        }


def measured(data: Path, runs: int = START_RUNS) -> dict[str, tuple[float, int]]:
    """cold_starts(data), run in a process of its own (see the module's note)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.starts", str(data), str(runs)],
        cwd=HERE.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"bench: the starts failed: {done.stderr.strip()}")
    found = json.loads(done.stdout)
    return {name: (seconds, rss) for name, (seconds, rss) in found.items()}


if __name__ == "__main__":
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else START_RUNS
    print(json.dumps(cold_starts(Path(sys.argv[1]), runs)))
