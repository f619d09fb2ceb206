"""Tracebacks the server side logs during the tests, collected so the run fails on them."""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

# Loggers of the server side (and their children). The desktop app, the UI and the sync
# client log some failures with a traceback on purpose; those are theirs to test.
SERVER_LOGGERS = ("uvicorn", "server", "fastapi", "starlette")


@dataclass(frozen=True)
class LoggedTraceback:
    """One log record with exception info from a server-side logger."""

    logger: str
    message: str
    exception: str  # the exception's type, qualified
    text: str  # the traceback as the log shows it

    def summary(self) -> str:
        return f"{self.logger}: {self.message!r} ({self.exception})"


def is_server_side(logger: str) -> bool:
    return any(logger == name or logger.startswith(f"{name}.") for name in SERVER_LOGGERS)


class TracebackCollector:
    """Sees each log record as it is made, through the log record factory: every server
    start (uvicorn.Config) runs dictConfig, which removes handlers added to uvicorn's
    loggers, and those do not propagate to the root logger either."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._caught: list[LoggedTraceback] = []
        self._previous: Any = None

    def install(self) -> None:
        self._previous = logging.getLogRecordFactory()
        logging.setLogRecordFactory(self._make_record)

    def uninstall(self) -> None:
        if self._previous is not None:
            logging.setLogRecordFactory(self._previous)
            self._previous = None

    def take(self) -> list[LoggedTraceback]:
        """What was caught since the last take, which is then forgotten."""
        with self._lock:
            caught, self._caught = self._caught, []
        return caught

    def _make_record(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self._previous(*args, **kwargs)
        if record.exc_info and record.exc_info[0] is not None and is_server_side(record.name):
            kind, error, tb = record.exc_info
            try:
                message = record.getMessage()
            except Exception:  # a bad format string: the raw one says enough
                message = str(record.msg)
            caught = LoggedTraceback(
                logger=record.name,
                message=message.strip(),
                exception=f"{kind.__module__}.{kind.__qualname__}",
                text="".join(traceback.format_exception(kind, error, tb)),
            )
            with self._lock:
                self._caught.append(caught)
        return record


def report(caught: list[LoggedTraceback]) -> str:
    """The tracebacks as a failure message: a line each, then each traceback."""
    lines = [f"the server logged {len(caught)} traceback(s):"]
    lines += [f"  {item.summary()}" for item in caught]
    for item in caught:
        lines += ["", f"--- {item.summary()}", item.text.rstrip()]
    return "\n".join(lines)


# One for the whole test session, installed by ServerTracebackCheck.
SERVER_TRACEBACKS = TracebackCollector()


class ServerTracebackCheck:
    """The pytest plugin (tests/conftest.py registers it): a test during which the server
    side logged a traceback fails, naming it; one logged outside any test fails the run."""

    def __init__(self) -> None:
        # Logged between tests (module fixtures, a shared server logging late), with the
        # test that came next.
        self._between_tests: list[tuple[str, list[LoggedTraceback]]] = []

    def pytest_configure(self) -> None:
        SERVER_TRACEBACKS.install()

    def pytest_unconfigure(self) -> None:
        SERVER_TRACEBACKS.uninstall()

    @pytest.fixture(autouse=True)
    def _no_server_traceback(self, request: pytest.FixtureRequest) -> Iterator[None]:
        """Fails the test if the server side logged a traceback during its call or its own
        fixtures: a 500 is always a bug. A test that provokes one on purpose takes it with
        SERVER_TRACEBACKS.take()."""
        earlier = SERVER_TRACEBACKS.take()
        if earlier:
            self._between_tests.append((request.node.nodeid, earlier))
        yield
        caught = SERVER_TRACEBACKS.take()
        if caught:
            pytest.fail(report(caught), pytrace=False)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        left = [*self._between_tests, ("the end of the run", SERVER_TRACEBACKS.take())]
        left = [(when, caught) for when, caught in left if caught]
        if not left:
            return
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        reporter.ensure_newline()
        reporter.write_sep("=", "the server logged tracebacks outside any test", red=True)
        for when, caught in left:
            reporter.write_line(f"before {when} started, {report(caught)}")
