"""Scenario 6: `fieldbrief sync` through a loopback proxy that spoils answers (dropped
mid-answer, a truncated body, a 10 s stall, garbage, JSON of the wrong shape, a 502 page),
once or on every try. The sync retries through, or fails in one plain line; a clean sync
afterwards finds nothing lost."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.soak.processes import run_sync
from bench.soak.proxy import FAULTS
from bench.soak.runner import Outcome, Scenario, Trial
from bench.soak.site import site
from bench.soak.workday import kind_of, prepare, problems_after_clean_sync

PERSISTENT_SHARE = 0.25  # of trials whose fault comes back on every try


@contextmanager
def session(folder: Path, quick: bool) -> Iterator[Trial]:
    with site(folder) as here:

        def trial(seed: int) -> Outcome:
            rng = random.Random(seed)
            fault = FAULTS[seed % len(FAULTS)]
            day = prepare(here, seed, rng, edits=(1, 300))
            try:
                paths = ["/v1/auth/login", "/v1/sync/push"]
                paths.append("/v1/sync/snapshot" if day.first else "/v1/sync/changes")
                spoiled = set(rng.sample(paths, rng.randint(1, 2)))
                every_try = fault != "stall" and rng.random() < PERSISTENT_SHARE
                hits: dict[str, int] = {}

                def rule(_index: int, _method: str, path: str) -> str:
                    if path not in spoiled:
                        return "pass"
                    hits[path] = hits.get(path, 0) + 1
                    return fault if every_try or hits[path] == 1 else "pass"

                here.proxy.plan(rule)
                run = run_sync(here.proxy.url, day.device.user, day.device.folder)
                done = here.proxy.faults_done()
                here.proxy.plan()
                outcome = Outcome()
                outcome.check(run.one_line_problem(bug_allowed=True))
                if not done:
                    outcome.problems.append(f"no {fault} happened ({sorted(spoiled)})")
                ended = "retried through" if run.returncode == 0 else "failed in one line"
                outcome.tags.append(f"{fault}{' every try' if every_try else ''}: {ended}")
                if run.returncode == 1:
                    outcome.tags.append(f"said “{_gist(run.stderr)}”")
                outcome.problems += problems_after_clean_sync(here, day)
                if outcome.problems:
                    at = ", ".join(sorted({kind_of(s.path) for s in done}))
                    outcome.problems.append(f"(the fault: {fault} at {at or 'nothing'})")
                return outcome
            finally:
                day.close()

        yield trial


def _gist(stderr: str) -> str:
    """The failure's words without the details that differ each time."""
    line = stderr.strip().splitlines()[0] if stderr.strip() else ""
    line = line.removeprefix("fieldbrief: sync failed: ")
    for end in (" (", ": ", "; "):
        line = line.split(end)[0]
    return line[:60]


SCENARIOS = [
    Scenario(
        "network-faults",
        "spoiled answers through a loopback proxy: a retry or a one-line failure, nothing lost",
        full=30,
        quick=6,
        seconds=300,
        quick_seconds=70,
        session=session,
    )
]
