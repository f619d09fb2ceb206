"""The soak harness (`make soak`) still runs: a tiny `python -m bench.soak --quick`, and a
failing trial reported with the seed that replays it."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.soak.runner import Outcome, Row, Scenario, Trial, print_failures, print_table, run

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_tiny_soak_prints_its_table() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.soak",
            "--quick",
            "--seed",
            "7",  # its network fault: one truncated answer, retried through
            "--only",
            "edit-kills",
            "sync-kills",
            "network-faults",
            "--trials",
            "edit-kills=2",
            "--trials",
            "sync-kills=1",
            "--trials",
            "network-faults=1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout.split("\nscenario", 1)[1]
    for name, trials in (("edit-kills", 2), ("sync-kills", 1), ("network-faults", 1)):
        assert re.search(rf"^{name}\s+{trials}\s+0\s", table, re.MULTILINE), table


def test_a_failure_is_reported_with_the_seed_that_replays_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    @contextmanager
    def session(_folder: Path, _quick: bool) -> Iterator[Trial]:
        yield lambda seed: Outcome(["lost an edit"] if seed == 11 else [], ["tried"])

    scenario = Scenario("fake", "a trial that fails on seed 11", 3, 1, 60, 10, session)
    row: Row = run(scenario, 3, 10, tmp_path, 60)
    print_table([row])
    print_failures([row])
    said = capsys.readouterr().out
    assert row.trials == 3 and [seed for seed, _ in row.failures] == [11]
    assert re.search(r"^fake\s+3\s+1\s+\d+\s+FAILED seeds 11: lost an edit; tried 3$", said, re.M)
    assert "python -m bench.soak --only fake --seed 11 --trials fake=1" in said
