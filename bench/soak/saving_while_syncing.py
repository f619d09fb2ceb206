"""Scenario 4: a rep saves an account's fields and a note every few milliseconds (a writer
process) while `fieldbrief sync` runs again and again on the same laptop, half the runs
killed mid-way. Afterwards: no conflict of the rep with themself, and the last value saved
is the laptop's and, after a clean sync, the server's."""

from __future__ import annotations

import json
import random
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.soak.checks import ServerView, conflict_line, device_rows, integrity, outbox_left
from bench.soak.devices import Device
from bench.soak.processes import (
    LineReader,
    Trigger,
    finish,
    kill_group,
    sigkill,
    start_sync,
    start_writer,
)
from bench.soak.runner import Outcome, Scenario, Trial
from bench.soak.site import Site, site

SAVING_S = 8.0  # how long the rep saves while syncs run, per trial
QUICK_SAVING_S = 4.0


@contextmanager
def session(folder: Path, quick: bool) -> Iterator[Trial]:
    saving_s = QUICK_SAVING_S if quick else SAVING_S
    with site(folder) as here:

        def trial(seed: int) -> Outcome:
            territory = f"solo{seed}"
            here.admin.add_rep("solo", [territory])
            laptop = Device(folder / f"{seed}-laptop", "solo", territory)
            try:
                return _trial(here, laptop, random.Random(seed), saving_s)
            finally:
                laptop.close()
                shutil.rmtree(laptop.folder, ignore_errors=True)

        yield trial


def _trial(here: Site, laptop: Device, rng: random.Random, saving_s: float) -> Outcome:
    tracebacks = here.server.tracebacks()
    account = laptop.create_account(city="start", phone="start")
    note = laptop.start_note(account)
    laptop.sync(here.server.url)
    outcome = Outcome()
    writer = start_writer(
        "rep", str(laptop.folder), str(rng.randrange(10**6)), str(account), str(note)
    )
    lines = LineReader(writer)
    try:
        if not lines.wait_for('{"ready"'):
            return Outcome(["the rep's writer did not start"])
        ends = time.monotonic() + saving_s
        while time.monotonic() < ends:
            process = start_sync(here.proxy.url, laptop.user, laptop.folder)
            trigger = Trigger(sigkill(process))
            if rng.random() < 0.5:
                here.proxy.plan(observer=trigger.on_request(rng.randrange(5), rng.uniform(0, 0.1)))
            run = finish(process)
            here.proxy.plan()
            trigger.cancel()
            outcome.tags += ["syncs", *(["of them killed"] if run.killed else [])]
            outcome.check(run.one_line_problem())
            if run.returncode == 1:
                outcome.tags.append(f"a sync failed: {run.stderr.strip()[:80]}")
            time.sleep(rng.uniform(0, 0.2))
    finally:
        sigkill(writer)()
        kill_group(writer)
    said = [json.loads(line) for line in lines.finish()[1:]]
    last, maybe = _last_saved(said, {"city": "start", "phone": "start", "body": laptop.notes[note]})
    mine = device_rows(laptop.store, "account")[account] | {
        "body": device_rows(laptop.store, "visit_note")[note]["body"]
    }
    for name in ("city", "phone", "body"):
        if mine[name] not in (last.get(name), maybe.get(name)):
            outcome.problems.append(
                f"the laptop's {name} is not the last saved: {_tail(mine[name])} "
                f"vs {_tail(last.get(name))}"
            )
    try:
        laptop.sync(here.server.url)
    except Exception as exc:
        return Outcome([f"the clean sync failed: {type(exc).__name__}: {exc}"], outcome.tags)
    outcome.check(outbox_left(laptop.store))
    outcome.check(integrity(laptop.store.path))
    outcome.check(integrity(here.server.database_file))
    view = ServerView(here.server.database_file, {laptop.territory})
    for conflict in view.conflicts():
        outcome.problems.append(f"a conflict of the rep with themself: {conflict_line(conflict)}")
    server = view.get("account", account)
    server_note = view.get("visit_note", note)
    assert server is not None and server_note is not None
    held = {**server.data, "body": server_note.data["body"]}
    for name in ("city", "phone", "body"):
        if held.get(name) != mine[name]:
            outcome.problems.append(
                f"the server's {name} is {_tail(held.get(name))}, "
                f"the last saved {_tail(mine[name])}"
            )
    logged = here.server.tracebacks() - tracebacks
    if logged:
        outcome.problems.append(f"the server logged {logged} traceback(s)")
    return outcome


def _last_saved(
    said: list[dict[str, Any]], start: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The values of the last saves reported done, and with the unfinished one as well."""
    done = {line["done"] for line in said if "done" in line}
    last = dict(start)
    maybe: dict[str, Any] = {}
    for line in said:
        if "intent" not in line:
            continue
        values = line.get("fields") or {"body": line["body"]}
        if line["intent"] in done:
            last.update(values)
        else:
            maybe = {**last, **values}
    return last, maybe or last


def _tail(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else "..." + text[-37:]


SCENARIOS = [
    Scenario(
        "saving-while-syncing",
        "a rep saves every few ms while syncs run and are killed",
        full=10,
        quick=2,
        seconds=150,
        quick_seconds=25,
        session=session,
    )
]
