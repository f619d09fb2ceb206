"""The task runner: work off the GUI thread, results and errors back on it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from db.changes import Changes
from db.errors import StoreUserError
from desktop.runner import TaskRunner


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    task_runner = TaskRunner()
    yield task_runner
    task_runner.shutdown()


def test_read_runs_off_the_gui_thread_and_answers_on_it(runner: TaskRunner, qtbot: QtBot) -> None:
    gui = threading.get_ident()
    seen: dict[str, int] = {}

    def work() -> int:
        seen["worker"] = threading.get_ident()
        return 42

    results: list[int] = []

    def done(value: int) -> None:
        seen["callback"] = threading.get_ident()
        results.append(value)

    runner.read(work, done)
    qtbot.waitUntil(lambda: results == [42])
    assert seen["worker"] != gui
    assert seen["callback"] == gui
    assert not runner.busy


def test_store_work_runs_in_submission_order(runner: TaskRunner, qtbot: QtBot) -> None:
    order: list[int] = []
    for i in range(20):
        runner.read(lambda i=i: i, order.append)
    qtbot.waitUntil(lambda: len(order) == 20)
    assert order == list(range(20))


def test_errors_go_to_the_error_callback(runner: TaskRunner, qtbot: QtBot) -> None:
    errors: list[Exception] = []

    def boom() -> None:
        raise ValueError("broken")

    runner.read(boom, lambda _: None, errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], ValueError)


def test_unhandled_user_errors_are_announced_in_plain_words(
    runner: TaskRunner, qtbot: QtBot
) -> None:
    def full() -> None:
        raise StoreUserError("the disk is full")

    with qtbot.waitSignal(runner.failed) as signal:
        runner.read(full, lambda _: None)
    assert signal.args == ["the disk is full"]


def test_writes_announce_what_changed(runner: TaskRunner, qtbot: QtBot) -> None:
    with qtbot.waitSignal(runner.data_changed) as signal:
        runner.write(lambda: Changes.of("account"))
    assert signal.args[0].touches("account")


def test_writes_that_change_nothing_stay_quiet(runner: TaskRunner, qtbot: QtBot) -> None:
    finished: list[Changes] = []
    with qtbot.assertNotEmitted(runner.data_changed):
        runner.write(Changes, finished.append)
        qtbot.waitUntil(lambda: bool(finished))


def test_results_arriving_after_shutdown_are_dropped(qtbot: QtBot) -> None:
    """A late result must not reach widgets that may be gone (that could crash)."""
    task_runner = TaskRunner()
    calls: list[int] = []
    task_runner.read(lambda: 1, calls.append)
    assert task_runner.shutdown()  # the job ran; its delivery is still queued
    qtbot.wait(50)
    assert calls == []
