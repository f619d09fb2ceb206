"""Where failures go: a log file in the data folder, with every traceback, for the app and
its commands alike. Holds no customer data and no secret (callers log ids and counts)."""

from __future__ import annotations

import faulthandler
import logging
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import TextIO

from sync.private_files import private_file, private_folder

LOG_FILENAME = "fieldbrief.log"
# A crash of the interpreter itself (a segfault in Qt or SQLite) is written here by
# faulthandler: the logging module cannot run then.
CRASH_FILENAME = "crash.log"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

log = logging.getLogger(__name__)
_crash_file: TextIO | None = None  # kept open for faulthandler, for the process's life


def log_to(data_dir: Path) -> Path:
    """Logs INFO and up to the data folder's log file (private like the store: folder
    0700, file 0600), and catches what nothing else catches (install_failure_hooks)."""
    path = data_dir / LOG_FILENAME
    private_folder(data_dir)
    private_file(path)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # httpx's INFO line per request names every URL with its query; the engine's own line
    # per sync says what matters, so only their warnings go to the file.
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    install_failure_hooks(data_dir)
    return path


def install_failure_hooks(data_dir: Path) -> None:
    """Uncaught exceptions, on any thread, reach the log with their traceback; a hard
    crash leaves its stack in crash.log."""
    global _crash_file
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    if _crash_file is None:
        crash = data_dir / CRASH_FILENAME
        private_file(crash)
        _crash_file = crash.open("a", encoding="utf-8")
        faulthandler.enable(file=_crash_file, all_threads=True)


def _log_uncaught(
    kind: type[BaseException], exc: BaseException, traceback: TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, traceback)
        return
    log.critical("uncaught exception", exc_info=(kind, exc, traceback))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    name = args.thread.name if args.thread is not None else "a thread"
    log.critical(
        "uncaught exception in %s",
        name,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
