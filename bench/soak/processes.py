"""The real processes a soak trial runs and kills: the server (`fieldbrief-server serve`),
`fieldbrief sync`, and the soak's own writer (bench/soak/writer.py); all on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery"  # every soak rep's; long and uncommon enough to be taken
SYNC_TIMEOUT_S = 120  # a `fieldbrief sync` that takes longer than this has hung
BUG_SAID = "unexpected error"  # how `fieldbrief` words a failure it did not foresee


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(script: str, module: str) -> list[str]:
    """The installed console script (as a rep or an admin runs it), else its module."""
    installed = BIN / script
    return [str(installed)] if installed.exists() else [sys.executable, "-m", module]


def kill_group(process: subprocess.Popen[str]) -> None:
    """SIGKILL to `process` and everything it started (it leads its own process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)


class ServerProcess:
    """`fieldbrief-server serve` on 127.0.0.1 over an SQLite store in `folder`; killed with
    SIGKILL and started again on the same port, so clients keep their URL."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "server.log"
        self.process: subprocess.Popen[str] | None = None
        self.kills = 0

    @property
    def database_file(self) -> Path:
        return self.folder / "server.sqlite3"

    @property
    def database_url(self) -> str:
        from server.store import database_url_for

        return database_url_for(self.folder)

    def start(self) -> None:
        with self.log.open("a") as log:
            # One worker: one process to kill, and a quick start again.
            self.process = subprocess.Popen(
                [
                    *_command("fieldbrief-server", "server.cli"),
                    "--data-dir",
                    str(self.folder),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    "1",
                ],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        self.wait_until_healthy()

    def wait_until_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{self.url}/v1/health", timeout=2).raise_for_status()
                return
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start: {self.log_tail()}") from None
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL, whatever it is doing."""
        if self.process is not None:
            kill_group(self.process)
            self.kills += 1

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            kill_group(self.process)
        self.process = None

    def log_tail(self, lines: int = 5) -> str:
        try:
            return " | ".join(self.log.read_text().strip().splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def tracebacks(self) -> int:
        """How many tracebacks the server has logged (each one is a bug)."""
        try:
            return self.log.read_text().count("Traceback (most recent call last)")
        except OSError:
            return 0


@dataclass(frozen=True)
class CliRun:
    """How a `fieldbrief sync` ended: its exit code (negative: the signal that ended it)."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL

    def one_line_problem(self, bug_allowed: bool = False) -> str | None:
        """None when it synced (0) or failed in one plain line (1); else what is wrong. A
        line that calls the failure a bug ("unexpected error ... please report it") is
        wrong too, unless `bug_allowed` (the server's answer was spoiled on purpose)."""
        if self.killed or self.returncode == 0:
            return None
        lines = self.stderr.strip().splitlines()
        if self.returncode != 1:
            return f"sync exited {self.returncode}: {' | '.join(lines[-3:])}"
        if "Traceback" in self.stderr:
            return f"sync printed a traceback: {' | '.join(lines[-2:])}"
        if len(lines) != 1:
            return f"sync failed in {len(lines)} lines: {' | '.join(lines[:3])}"
        if BUG_SAID in lines[0] and not bug_allowed:
            return f"sync hit a bug: {lines[0]}"
        return None


def start_sync(url: str, user: str, data_dir: Path) -> subprocess.Popen[str]:
    """`fieldbrief sync` as a script runs it, the password from the environment."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
    env |= {
        "FIELDBRIEF_PASSWORD": PASSWORD,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    return subprocess.Popen(
        [
            *_command("fieldbrief", "desktop"),
            "sync",
            "--server",
            url,
            "--user",
            user,
            "--data-dir",
            str(data_dir),
        ],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(process: subprocess.Popen[str], timeout: float = SYNC_TIMEOUT_S) -> CliRun:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        out, err = process.communicate()
        err += f"\n(soak: killed after hanging {timeout:.0f} s)"
        return CliRun(-999, out, err)
    return CliRun(process.returncode, out, err)


def run_sync(url: str, user: str, data_dir: Path) -> CliRun:
    return finish(start_sync(url, user, data_dir))


class Trigger:
    """Fires `action` once, `delay` seconds after `arm()`; safe to arm from any thread."""

    def __init__(self, action: Callable[[], None]) -> None:
        self._action = action
        self._lock = threading.Lock()
        self._armed = False
        self.fired = threading.Event()
        self.timer: threading.Timer | None = None

    def arm(self, delay: float) -> None:
        with self._lock:
            if self._armed:
                return
            self._armed = True
        self.timer = threading.Timer(delay, self._fire)
        self.timer.daemon = True
        self.timer.start()

    def on_request(self, number: int, delay: float) -> Callable[[int, str, str], None]:
        """An observer for Proxy.plan: arms this `delay` seconds after request `number`
        (counted from 0) reached the server."""

        def observe(index: int, _method: str, _path: str) -> None:
            if index == number:
                self.arm(delay)

        return observe

    def _fire(self) -> None:
        self._action()
        self.fired.set()

    def cancel(self) -> None:
        with self._lock:
            self._armed = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer.join()


def sigkill(process: subprocess.Popen[str]) -> Callable[[], None]:
    """An action that SIGKILLs `process` (and its group) if it still runs."""

    def kill() -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)

    return kill


def start_writer(*args: str) -> subprocess.Popen[str]:
    """`python -m bench.soak.writer ARGS`: a rep's edits through the store's services, each
    announced on stdout before ("intent") and after ("done") it is committed."""
    env = {**os.environ, "FIELDBRIEF_PASSWORD": PASSWORD}
    return subprocess.Popen(
        [sys.executable, "-m", "bench.soak.writer", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


class LineReader:
    """Reads a process's stdout lines on a thread; `wait_for` a line that starts with a word."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        self.lines: list[str] = []
        self._seen = threading.Condition()
        self._stream = process.stdout
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self._stream:
            with self._seen:
                self.lines.append(line)
                self._seen.notify_all()
        with self._seen:
            self.lines.append("")  # the end
            self._seen.notify_all()

    def wait_for(self, word: str, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                if any(line.startswith(word) for line in self.lines):
                    return True
                if self.lines and self.lines[-1] == "":
                    return False
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._seen.wait(left)

    def finish(self) -> list[str]:
        """Every whole line the process wrote (a line cut off by a kill is left out)."""
        self._thread.join(timeout=30)
        return [line for line in self.lines if line.endswith("\n")]
