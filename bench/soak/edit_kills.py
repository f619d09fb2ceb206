"""Scenario 1: SIGKILL a process writing edits through the services at a random moment.
Every edit it reported committed is there, as it was made; the one it was making is there
whole or not at all; every row matches its outbox entries; integrity_check is ok."""

from __future__ import annotations

import json
import random
import shutil
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.keyed import open_store
from bench.soak.checks import integrity, unpaired
from bench.soak.processes import LineReader, kill_group, sigkill, start_writer
from bench.soak.runner import Outcome, Scenario, Trial
from db.store.local_store import STORE_FILENAME, Store
from db.store.models import Account, VisitNote

KILL_WITHIN_S = 0.8  # after the writer says it is ready


@contextmanager
def session(folder: Path, quick: bool) -> Iterator[Trial]:
    template = folder / "template"
    open_store(template).close()  # migrated once; each trial starts from a copy

    def trial(seed: int) -> Outcome:
        data = folder / f"store-{seed}"
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(template, data)
        try:
            return _kill_and_check(data, seed)
        finally:
            shutil.rmtree(data, ignore_errors=True)

    yield trial


def _kill_and_check(data: Path, seed: int) -> Outcome:
    rng = random.Random(seed)
    writer = start_writer("edits", str(data), str(seed))
    lines = LineReader(writer)
    outcome = Outcome()
    try:
        if not lines.wait_for('{"ready"'):
            assert writer.stderr is not None
            return Outcome([f"the writer did not start: {writer.stderr.read()[-300:]}"])
        time.sleep(rng.uniform(0, KILL_WITHIN_S))
        sigkill(writer)()
    finally:
        kill_group(writer)
    said = [json.loads(line) for line in lines.finish()[1:]]
    if writer.returncode != -signal.SIGKILL:
        assert writer.stderr is not None
        return Outcome(
            [f"the writer ended by itself ({writer.returncode}): {writer.stderr.read()[-300:]}"]
        )
    done = {line["done"]: line for line in said if "done" in line}
    intents = [line for line in said if "intent" in line]
    pending = intents[-1] if intents and intents[-1]["intent"] not in done else None
    outcome.tags.append("killed inside an edit" if pending else "killed between edits")

    outcome.check(integrity(data / STORE_FILENAME))  # before anything opens it
    store = open_store(data)  # as the app does when it starts again
    try:
        outcome.problems += unpaired(store)
        outcome.problems += _committed_edits_missing(store, intents, done, pending)
    finally:
        store.close()
    outcome.check(integrity(data / STORE_FILENAME))
    return outcome


def _committed_edits_missing(
    store: Store, intents: list[dict[str, Any]], done: dict[int, dict[str, Any]], pending: Any
) -> list[str]:
    """The store must show every edit reported done, and the pending one fully or not at all."""
    before = _expected([i for i in intents if i["intent"] in done], done)
    after = _expected([i for i in intents if i["intent"] in done or i is pending], done)
    with store.reading() as session:
        accounts = {
            a.name: (a.city, a.phone, a.deleted_at is not None)
            for a in session.scalars(select(Account))
        }
        counted = len(list(session.scalars(select(Account))))
        notes = {str(n.id): n.body for n in session.scalars(select(VisitNote))}
    problems = []
    if counted != len(accounts):
        problems.append(f"{counted - len(accounts)} account(s) made twice")
    if accounts not in (before[0], after[0]):
        wrong = sorted(
            name
            for name in set(accounts) | set(before[0])
            if accounts.get(name) not in (before[0].get(name), after[0].get(name))
        )
        name = wrong[0] if wrong else ""
        problems.append(
            f"accounts differ from the committed edits: {wrong[:3]} (the store has "
            f"{accounts.get(name)} for {name!r}, the edits made it {before[0].get(name)})"
        )
    known = {k: v for k, v in notes.items() if k in after[1] or k in before[1]}
    extra = set(notes) - set(known)
    if extra and not (pending and pending["op"] == "note" and len(extra) == 1):
        problems.append(f"{len(extra)} note(s) no edit made")
    if known not in (before[1], after[1]):
        problems.append("a note's text differs from the committed edits")
    return problems


def _expected(
    intents: list[dict[str, Any]], done: dict[int, dict[str, Any]]
) -> tuple[dict[str, tuple[Any, Any, bool]], dict[str, str]]:
    """Accounts (name -> city, phone, deleted) and notes (id -> body) after `intents`."""
    accounts: dict[str, tuple[Any, Any, bool]] = {}
    notes: dict[str, str] = {}
    for intent in intents:
        op = intent["op"]
        if op == "create":
            accounts[intent["name"]] = (intent["city"], None, False)
        elif op == "set":
            city, phone, deleted = accounts[intent["name"]]
            fields = intent["fields"]
            accounts[intent["name"]] = (
                fields.get("city", city),
                fields.get("phone", phone),
                deleted,
            )
        elif op == "delete":
            city, phone, _ = accounts[intent["name"]]
            accounts[intent["name"]] = (city, phone, True)
        elif op == "note" and intent["intent"] in done:
            notes[done[intent["intent"]]["id"]] = done[intent["intent"]]["body"]
        elif op == "save":
            notes[intent["id"]] = intent["body"]
    return accounts, notes


SCENARIOS = [
    Scenario(
        "edit-kills",
        "SIGKILL while writing edits through the services",
        full=200,
        quick=20,
        seconds=330,
        quick_seconds=35,
        session=session,
    )
]
