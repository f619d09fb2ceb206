"""Runs a scenario's trials (each with a seed of its own, within a time limit) and prints
the table: scenario, trials, failures, seconds, notes; then how to replay each failure."""

from __future__ import annotations

import collections
import time
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Outcome:
    """What one trial found wrong (nothing: it passed) and what it did (for the notes)."""

    problems: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def check(self, problem: str | None) -> None:
        if problem:
            self.problems.append(problem)


Trial = Callable[[int], Outcome]


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    full: int  # trials in a full run
    quick: int  # ... and with --quick
    seconds: float  # a full run stops starting trials after this long
    quick_seconds: float
    # Sets up what the trials share (a server, a proxy) in a folder, given whether the run
    # is --quick; yields one trial.
    session: Callable[[Path, bool], AbstractContextManager[Trial]]


@dataclass
class Row:
    scenario: str
    trials: int = 0
    failures: list[tuple[int, list[str]]] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def run(
    scenario: Scenario, trials: int, seed: int, folder: Path, limit: float, quick: bool = False
) -> Row:
    """Trials seed, seed+1, ... until `trials` ran or `limit` seconds passed."""
    row = Row(scenario.name)
    tags: collections.Counter[str] = collections.Counter()
    started = time.monotonic()
    try:
        with scenario.session(folder, quick) as trial:
            for number in range(trials):
                if time.monotonic() - started > limit:
                    row.notes.append(f"time limit ({limit:.0f} s) reached after {number} trials")
                    break
                trial_seed = seed + number
                try:
                    outcome = trial(trial_seed)
                except Exception as exc:  # a broken trial is a failure, with where it broke
                    outcome = Outcome([_crash(exc)])
                row.trials += 1
                tags.update(outcome.tags)
                if outcome.problems:
                    row.failures.append((trial_seed, outcome.problems))
                    print(f"  {scenario.name} seed {trial_seed}: {outcome.problems[0]}", flush=True)
    except Exception as exc:
        row.failures.append((seed, [f"setting up failed: {_crash(exc)}"]))
    row.seconds = time.monotonic() - started
    if tags:
        row.notes.insert(0, ", ".join(f"{tag} {count}" for tag, count in sorted(tags.items())))
    return row


def _crash(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first} (at {Path(where.filename).name}:{where.lineno})"


def notes_of(row: Row) -> str:
    parts = list(row.notes)
    if row.failures:
        seeds = ", ".join(str(seed) for seed, _ in row.failures[:6])
        more = f" (+{len(row.failures) - 6} more)" if len(row.failures) > 6 else ""
        first = row.failures[0][1][0]
        first = first if len(first) <= 110 else first[:107] + "..."
        parts.insert(0, f"FAILED seeds {seeds}{more}: {first}")
    return "; ".join(parts) or "-"


def print_table(rows: list[Row]) -> None:
    header = ("scenario", "trials", "failures", "seconds", "notes")
    cells = [
        (r.scenario, str(r.trials), str(len(r.failures)), f"{r.seconds:.0f}", notes_of(r))
        for r in rows
    ]
    widths = [max(len(c[i]) for c in [header, *cells]) for i in range(4)]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, [*widths, 0], strict=True)).rstrip())
    print("  ".join("-" * w for w in [*widths, 5]))
    for cell in cells:
        print("  ".join(c.ljust(w) for c, w in zip(cell, [*widths, 0], strict=True)).rstrip())


def print_failures(rows: list[Row]) -> None:
    failed = [r for r in rows if r.failures]
    if not failed:
        return
    print("\nFailures (replay one with the command after it; kill timing differs run to run):")
    for row in failed:
        for seed, problems in row.failures:
            print(f"\n{row.scenario}, seed {seed}:")
            for problem in problems[:5]:
                print(f"  - {problem}")
            if len(problems) > 5:
                print(f"  - ... and {len(problems) - 5} more")
            print(
                f"  replay: python -m bench.soak --only {row.scenario} --seed {seed} "
                f"--trials {row.scenario}=1"
            )
