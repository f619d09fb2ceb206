"""Scenario 3: two laptops edit the same account fields and the same visit note offline and
sync in random orders, some syncs killed mid-way. In the end both laptops and the server
agree; every value and every line typed is kept, replaced knowingly (the editor had seen
it), or recorded in a conflict both laptops hold: no text is silently lost."""

from __future__ import annotations

import random
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.soak.checks import (
    ServerView,
    device_conflicts,
    device_rows,
    integrity,
    outbox_left,
)
from bench.soak.devices import Device
from bench.soak.processes import Trigger, finish, sigkill, start_sync
from bench.soak.runner import Outcome, Scenario, Trial
from bench.soak.site import Site, site
from db.field.notes import NoteBook

FIELDS = ("city", "phone")
KILL_SHARE = 0.4  # of syncs, killed mid-way


@dataclass
class History:
    """Everything typed: field values with the value each replaced on its laptop, lines."""

    values: list[tuple[str, str, object]] = field(default_factory=list)  # (field, value, base)
    lines: list[str] = field(default_factory=list)
    kills: int = 0


@contextmanager
def session(folder: Path, quick: bool) -> Iterator[Trial]:
    with site(folder) as here:

        def trial(seed: int) -> Outcome:
            rng = random.Random(seed)
            territory = f"pair{seed}"
            for user in ("ana", "ben"):
                here.admin.add_rep(user, [territory])
            laptops = [
                Device(folder / f"{seed}-{user}", user, territory) for user in ("ana", "ben")
            ]
            try:
                return _trial(here, laptops, rng, territory)
            finally:
                for laptop in laptops:
                    laptop.close()
                    shutil.rmtree(laptop.folder, ignore_errors=True)

        yield trial


def _trial(here: Site, laptops: list[Device], rng: random.Random, territory: str) -> Outcome:
    ana, ben = laptops
    tracebacks = here.server.tracebacks()
    account = ana.create_account(f"Shared {territory}", city="Bonn", phone="0")
    note = ana.start_note(account)
    ana.save_note(note, ana.notes[note] + "\nFirst line.")
    ana.sync(here.server.url)
    ben.sync(here.server.url)
    history = History()
    for round_number in range(rng.randint(3, 6)):
        for laptop in rng.sample(laptops, 2):
            for n in range(rng.randint(0, 3)):
                _edit(laptop, account, note, rng, f"{laptop.user} {round_number}.{n}", history)
        for laptop in rng.sample(laptops, 2):
            if rng.random() < 0.75:
                _sync(here, laptop, rng, history)
    for laptop in (ana, ben, ana, ben):
        laptop.sync(here.server.url)

    outcome = Outcome()
    outcome.tags.append(f"{history.kills} kill(s)")
    view = ServerView(here.server.database_file, {territory})
    for laptop in laptops:
        outcome.check(outbox_left(laptop.store))
        outcome.check(integrity(laptop.store.path))
    outcome.check(integrity(here.server.database_file))
    server_account, server_note = view.get("account", account), view.get("visit_note", note)
    assert server_account is not None and server_note is not None
    for laptop in laptops:
        mine = device_rows(laptop.store, "account")[account]
        if any(mine[f] != server_account.data.get(f) for f in FIELDS):
            outcome.problems.append(
                f"{laptop.user} has {[mine[f] for f in FIELDS]}, the server "
                f"{[server_account.data.get(f) for f in FIELDS]}"
            )
        if device_rows(laptop.store, "visit_note")[note]["body"] != server_note.data["body"]:
            outcome.problems.append(f"{laptop.user}'s note differs from the server's")
        if device_conflicts(laptop.store) != {c.id for c in view.conflicts()}:
            outcome.problems.append(f"{laptop.user} does not hold the server's conflicts")
    conflicts = view.conflicts()
    outcome.tags.append(f"{_bucket(len(conflicts))} conflicts")
    kept = [str(c.data.get(k)) for c in conflicts for k in ("client_value", "server_value")]
    outcome.problems += _lost_lines(history, server_note.data["body"], kept)
    outcome.problems += _lost_values(history, server_account.data, conflicts)
    logged = here.server.tracebacks() - tracebacks
    if logged:
        outcome.problems.append(f"the server logged {logged} traceback(s)")
    return outcome


def _edit(
    laptop: Device,
    account: uuid.UUID,
    note: uuid.UUID,
    rng: random.Random,
    label: str,
    history: History,
) -> None:
    if rng.random() < 0.6:
        name = rng.choice(FIELDS)
        base = device_rows(laptop.store, "account")[account][name]
        value = f"{name} {label}"
        laptop.set_fields(account, **{name: value})
        history.values.append((name, value, base))
    else:
        view = NoteBook(laptop.store).note(note)
        assert view is not None
        line = f"Line {label}."
        laptop.save_note(note, f"{view.body}\n{line}")
        history.lines.append(line)


def _sync(here: Site, laptop: Device, rng: random.Random, history: History) -> None:
    if rng.random() >= KILL_SHARE:
        laptop.sync(here.server.url)
        return
    at, delay = rng.randrange(4), rng.uniform(0, 0.08)
    process = start_sync(here.proxy.url, laptop.user, laptop.folder)
    trigger = Trigger(sigkill(process))
    here.proxy.plan(observer=trigger.on_request(at, delay))
    run = finish(process)
    here.proxy.plan()
    trigger.cancel()
    history.kills += run.killed
    problem = run.one_line_problem()
    if problem:
        raise AssertionError(problem)


def _lost_lines(history: History, body: str, kept: list[str]) -> list[str]:
    lost = [line for line in history.lines if line not in body and not any(line in k for k in kept)]
    return [f"line {line!r} is in neither the note nor a conflict" for line in lost[:3]]


def _lost_values(history: History, final: dict[str, object], conflicts: list) -> list[str]:  # type: ignore[type-arg]
    """A value is kept (final), recorded in a conflict, or was replaced by someone who saw
    it (it is the value a later edit replaced)."""
    problems = []
    bases = {(name, base) for name, _, base in history.values}
    recorded = {
        (c.data.get("field"), str(c.data.get(k)))
        for c in conflicts
        for k in ("client_value", "server_value")
    }
    for name, value, _ in history.values:
        if final.get(name) == value or (name, value) in bases or (name, value) in recorded:
            continue
        problems.append(f"{name} {value!r} was lost: not kept, not replaced knowingly, no conflict")
    return problems[:3]


def _bucket(count: int) -> str:
    return "0" if count == 0 else "1-3" if count <= 3 else "4+"


SCENARIOS = [
    Scenario(
        "two-devices",
        "two laptops edit one account and note offline, sync in random orders, some killed",
        full=30,
        quick=3,
        seconds=200,
        quick_seconds=25,
        session=session,
    )
]
