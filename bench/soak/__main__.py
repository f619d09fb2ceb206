"""`python -m bench.soak [--quick] [--seed S] [--only NAME ...] [--trials NAME=N ...]`:
runs the soak scenarios against real processes on 127.0.0.1 and prints a table
(scenario, trials, failures, seconds, notes); exits 1 if any trial failed."""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.soak import (
    edit_kills,
    network_faults,
    saving_while_syncing,
    store_copies,
    sync_kills,
    two_devices,
)
from bench.soak.runner import Row, Scenario, print_failures, print_table, run

SCENARIOS: list[Scenario] = [
    *edit_kills.SCENARIOS,
    *sync_kills.SCENARIOS,
    *two_devices.SCENARIOS,
    *saving_while_syncing.SCENARIOS,
    *store_copies.SCENARIOS,
    *network_faults.SCENARIOS,
]
BY_NAME = {s.name: s for s in SCENARIOS}
APP_CODE = ("db", "sync", "server", "desktop", "ui")


def _trials(text: str) -> tuple[str, int]:
    name, _, count = text.partition("=")
    if name not in BY_NAME or not count.isdigit():
        raise argparse.ArgumentTypeError(f"expected NAME=N with NAME one of {', '.join(BY_NAME)}")
    return name, int(count)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak",
        description="Kills, store copies and network faults, trial after trial, against the "
        "real app, CLI and server on 127.0.0.1. Not part of make test.",
        epilog="Scenarios: "
        + "; ".join(f"{s.name} ({s.full} trials, {s.quick} quick): {s.what}" for s in SCENARIOS),
    )
    parser.add_argument("--seed", type=int, help="first trial's seed (default: random, printed)")
    parser.add_argument("--quick", action="store_true", help="fewer trials: about 2 minutes")
    parser.add_argument(
        "--only", nargs="+", choices=list(BY_NAME), metavar="NAME", help="run these scenarios only"
    )
    parser.add_argument(
        "--trials",
        type=_trials,
        action="append",
        default=[],
        metavar="NAME=N",
        help="trials of one scenario (repeatable), e.g. --trials edit-kills=50",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (stores, server logs)"
    )
    return parser


def _code_state() -> str:
    """The commit under test, and whether the app's code differs from it (a failure is
    replayed on the same code)."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", *APP_CODE],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    return f"{commit}" + (f" with {len(changed)} file(s) changed" if changed else "")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    counts = dict(args.trials)
    chosen = [BY_NAME[name] for name in args.only] if args.only else SCENARIOS
    folder = Path(tempfile.mkdtemp(prefix="fieldbrief-soak-"))
    print(
        f"Soak{' (quick)' if args.quick else ''}, seed {seed}, in {folder} "
        f"({os.cpu_count()} CPUs), code {_code_state()}; failures print as they happen.",
        flush=True,
    )
    # What the app's code logs in this process (a store found copied, say) goes to a file,
    # not between the soak's lines.
    logging.basicConfig(filename=folder / "soak.log", level=logging.INFO, force=True)
    rows: list[Row] = []
    started = time.monotonic()
    try:
        for scenario in chosen:
            trials = counts.get(scenario.name, scenario.quick if args.quick else scenario.full)
            limit = scenario.quick_seconds if args.quick else scenario.seconds
            if scenario.name in counts:
                limit = max(limit, trials * limit / max(1, scenario.full))
            print(f"{scenario.name}: {trials} trials ({scenario.what}) ...", flush=True)
            rows.append(run(scenario, trials, seed, folder / scenario.name, limit, args.quick))
    finally:
        if args.keep:
            print(f"Kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print_table(rows)
    print(f"\n{time.monotonic() - started:.0f} s in all; seed {seed}.")
    print_failures(rows)
    return 1 if any(row.failures for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
