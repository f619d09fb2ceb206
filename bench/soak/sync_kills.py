"""Scenario 2: SIGKILL `fieldbrief sync` mid-sync, or the server mid-push or mid-pull (it is
started again at once); then a clean sync. Every edit is on the server exactly once, the
outbox is empty, both stores pass integrity_check."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from bench.soak.processes import Trigger, finish, sigkill, start_sync
from bench.soak.runner import Outcome, Scenario, Trial
from bench.soak.site import Site, site
from bench.soak.workday import Workday, kind_of, prepare, problems_after_clean_sync

ATTEMPTS = 4  # syncs started per trial until one is killed mid-way
PULLS = ("/v1/sync/changes", "/v1/sync/snapshot")


def _session(
    kill: Callable[[Site, Workday, random.Random, Outcome], None],
) -> Callable[[Path, bool], AbstractContextManager[Trial]]:
    @contextmanager
    def session(folder: Path, quick: bool) -> Iterator[Trial]:
        with site(folder) as here:

            def trial(seed: int) -> Outcome:
                rng = random.Random(seed)
                day = prepare(here, seed, rng, edits=(1, 300) if kill is _kill_sync else (60, 400))
                try:
                    outcome = Outcome()
                    kill(here, day, rng, outcome)
                    outcome.problems += problems_after_clean_sync(here, day)
                    return outcome
                finally:
                    day.close()

            yield trial

    return session


def _kill_sync(here: Site, day: Workday, rng: random.Random, outcome: Outcome) -> None:
    """Kills the rep's `fieldbrief sync` just after its k-th request reached the server
    (0 to 80 ms after: while the server works, the answer travels, or the laptop writes)."""
    for attempt in range(ATTEMPTS):
        at = rng.randrange(day.requests if attempt == 0 else 2)
        delay = rng.uniform(0, 0.08)
        process = start_sync(here.proxy.url, day.device.user, day.device.folder)
        trigger = Trigger(sigkill(process))
        hit: list[str] = []

        def observe(index: int, _method: str, path: str) -> None:
            if index == at:  # noqa: B023 - this attempt's plan, used during this attempt
                hit.append(path)  # noqa: B023
                trigger.arm(delay)  # noqa: B023

        here.proxy.plan(observer=observe)
        run = finish(process)
        here.proxy.plan()
        trigger.cancel()
        if run.killed:
            outcome.tags.append(f"killed at {kind_of(hit[0])}")
            return
        outcome.check(run.one_line_problem())
    outcome.tags.append("finished before every kill")


def _kill_server(here: Site, day: Workday, rng: random.Random, outcome: Outcome) -> None:
    """Kills the server just after a push or pull request reached it, and starts it again
    while the rep's sync retries."""
    pushes = max(1, len(day.device.expected) // 200)
    paths, nth = (
        (("/v1/sync/push",), rng.randrange(pushes))
        if rng.random() < 0.5
        else (PULLS, rng.randrange(3 if day.first else 1))
    )
    delay = rng.uniform(0, 0.15)
    process = start_sync(here.proxy.url, day.device.user, day.device.folder)
    trigger = Trigger(here.server.restart)
    seen: list[str] = []

    def observe(_index: int, _method: str, path: str) -> None:
        if path in paths:
            seen.append(path)
            if len(seen) == nth + 1:
                trigger.arm(delay)

    here.proxy.plan(observer=observe)
    run = finish(process)
    here.proxy.plan()
    if trigger.timer is not None:
        trigger.timer.join()  # the server is up again
    else:
        trigger.cancel()
    if not trigger.fired.is_set():
        outcome.tags.append("sync finished before the kill")
        return
    landed = kind_of(seen[nth])
    outcome.tags.append(f"killed at {landed}")
    outcome.tags.append(
        "sync retried through" if run.returncode == 0 else "sync failed in one line"
    )
    outcome.check(run.one_line_problem())


SCENARIOS = [
    Scenario(
        "sync-kills",
        "SIGKILL fieldbrief sync mid-sync, then a clean sync",
        full=100,
        quick=10,
        seconds=260,
        quick_seconds=30,
        session=_session(_kill_sync),
    ),
    Scenario(
        "server-kills",
        "SIGKILL the server mid-push or mid-pull (started again), then a clean sync",
        full=50,
        quick=5,
        seconds=220,
        quick_seconds=30,
        session=_session(_kill_server),
    ),
]
