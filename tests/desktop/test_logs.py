"""Nothing hidden: an exception nothing caught, on any thread, reaches the data folder's
log with its traceback; a hard crash leaves its stack in crash.log."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(code: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from desktop.logs import log_to
        log_to(Path({str(data_dir)!r}))
        """
    ) + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_uncaught_exceptions_in_threads_and_main_reach_the_log(tmp_path: Path) -> None:
    done = run(
        """
        import threading
        def worker():
            raise RuntimeError("boom in a worker")
        thread = threading.Thread(target=worker, name="store-worker")
        thread.start()
        thread.join()
        raise ValueError("boom in main")
        """,
        tmp_path,
    )
    assert done.returncode == 1
    logged = (tmp_path / "fieldbrief.log").read_text()
    assert "uncaught exception in store-worker" in logged
    assert "in worker\nRuntimeError: boom in a worker" in logged  # the traceback's frames
    assert "uncaught exception" in logged and "ValueError: boom in main" in logged
    assert (tmp_path / "fieldbrief.log").stat().st_mode & 0o077 == 0


def test_a_hard_crash_leaves_its_stack_in_crash_log(tmp_path: Path) -> None:
    done = run("import faulthandler\nfaulthandler._sigsegv()\n", tmp_path)
    assert done.returncode != 0
    crash = (tmp_path / "crash.log").read_text()
    assert "Fatal Python error" in crash and "Current thread" in crash
