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


# --- store calls from other threads (the sync job's) -----------------------------------


def test_a_store_call_from_the_network_pool_runs_on_the_store_thread_in_turn(
    runner: TaskRunner, qtbot: QtBot
) -> None:
    threads: dict[str, int] = {}
    order: list[str] = []
    release = threading.Event()

    def rep_save() -> str:  # queued first, held until the network job has asked
        threads["store"] = threading.get_ident()
        release.wait(10)
        order.append("save")
        return "saved"

    def sync_job() -> str:
        threads["network"] = threading.get_ident()

        def page() -> str:
            threads["page"] = threading.get_ident()
            order.append("page")
            return "applied"

        release.set()
        return runner.on_store_thread(page)

    results: list[str] = []
    runner.read(rep_save, results.append)
    runner.network(sync_job, results.append)
    qtbot.waitUntil(lambda: len(results) == 2)
    assert sorted(results) == ["applied", "saved"]
    assert order == ["save", "page"]  # one writer: the page waited for the save
    assert threads["page"] == threads["store"] != threads["network"]


def test_a_store_call_raises_its_error_in_the_calling_thread(
    runner: TaskRunner, qtbot: QtBot
) -> None:
    def broken() -> None:
        raise ValueError("bad page")

    errors: list[Exception] = []
    runner.network(lambda: runner.on_store_thread(broken), lambda _none: None, errors.append)
    qtbot.waitUntil(lambda: len(errors) == 1)
    assert isinstance(errors[0], ValueError) and str(errors[0]) == "bad page"


def test_a_store_call_made_on_the_store_thread_runs_at_once(
    runner: TaskRunner, qtbot: QtBot
) -> None:
    results: list[int] = []
    runner.read(lambda: runner.on_store_thread(lambda: 7), results.append)
    qtbot.waitUntil(lambda: results == [7])  # no deadlock waiting for itself


def test_shutdown_releases_a_thread_waiting_for_the_store(qtbot: QtBot) -> None:
    """The app closes while a sync waits for a store call queued behind a long job: the
    sync stops waiting (CancelledError) instead of holding the exit for ever."""
    task_runner = TaskRunner()
    busy, released = threading.Event(), threading.Event()
    outcome: list[BaseException] = []

    def long_store_job() -> None:
        busy.set()
        released.wait(10)  # until shutdown has let the waiting thread go

    def waiter() -> None:
        busy.wait(10)
        try:
            task_runner.on_store_thread(lambda: None)
        except BaseException as exc:
            outcome.append(exc)
        released.set()

    task_runner.read(long_store_job, lambda _none: None)
    thread = threading.Thread(target=waiter)
    thread.start()
    qtbot.waitUntil(lambda: len(task_runner._waiting) == 1)
    assert task_runner.shutdown()
    thread.join(10)
    assert not thread.is_alive()
    assert len(outcome) == 1 and type(outcome[0]).__name__ == "CancelledError"


def test_a_failure_the_caller_shows_is_logged_with_its_traceback_too(
    runner: TaskRunner, qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise KeyError("no such row")

    shown: list[Exception] = []
    runner.read(broken, lambda _none: None, shown.append)
    qtbot.waitUntil(lambda: len(shown) == 1)
    [record] = [r for r in caplog.records if r.name == "desktop.runner"]
    assert record.levelname == "ERROR" and record.exc_info is not None
    assert record.exc_info[1] is shown[0]
