"""A rep's edits in a process of its own, for the soak to kill: `python -m bench.soak.writer
MODE DATA_DIR SEED [...]`.

Every edit goes through the store's services (LocalEditor, NoteBook), one transaction
each. Before an edit it prints {"intent": n, ...} and after the commit {"done": n, ...}, so
the soak knows which edits were committed (done) and which one may have been (the last
intent, when killed in between). Modes:

- `edits DATA_DIR SEED`: accounts created, changed and deleted, notes started and typed
  into (with checkboxes, which become follow-ups in the same transaction), as fast as it can;
- `rep DATA_DIR SEED ACCOUNT_ID NOTE_ID`: one rep saving one account's fields and one note
  every few milliseconds;
- `sync-then-wait DATA_DIR SEED URL USER TERRITORY EDITS`: some edits and a sync, then waits to be
  killed (the store's last writes stay in its -wal file).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench.keyed import open_store
from db.edits import LocalEditor
from db.field.notes import NoteBook
from db.store.local_store import Store

TERRITORY = "north"
CITIES = ("Bonn", "Köln", "Aachen", "Lübeck", "Zürich", "Graz", "Lyon")


def say(**line: Any) -> None:
    print(json.dumps(line, ensure_ascii=False), flush=True)


def edits(store: Store, rng: random.Random) -> None:
    """Random edits through the services until killed."""
    editor, book = LocalEditor(store), NoteBook(store)
    accounts: dict[str, uuid.UUID] = {}  # live accounts by name
    notes: dict[uuid.UUID, str] = {}  # note id -> body
    n = 0
    while True:
        n += 1
        roll = rng.random()
        if roll < 0.25 or not accounts:
            name, city = f"Account {n}", rng.choice(CITIES)
            say(intent=n, op="create", name=name, city=city)
            account_id, _ = editor.create("account", name=name, territory=TERRITORY, city=city)
            accounts[name] = account_id
            say(done=n, id=str(account_id))
        elif roll < 0.55:
            name = rng.choice(sorted(accounts))
            fields = {"city": rng.choice(CITIES), "phone": f"+49 {rng.randrange(10**8)}"}
            fields = dict(rng.sample(sorted(fields.items()), rng.randint(1, 2)))
            say(intent=n, op="set", name=name, fields=fields)
            editor.set_fields("account", accounts[name], **fields)
            say(done=n)
        elif roll < 0.65:
            name = rng.choice(sorted(accounts))
            say(intent=n, op="note", name=name)
            note_id, _ = book.start(accounts[name])
            notes[note_id] = book.note(note_id).body  # type: ignore[union-attr]
            say(done=n, id=str(note_id), body=notes[note_id])
        elif roll < 0.95 and notes:
            note_id = rng.choice(sorted(notes))
            body = _typed(rng, n, notes[note_id])
            say(intent=n, op="save", id=str(note_id), body=body)
            book.save(note_id, body)
            notes[note_id] = body
            say(done=n)
        elif roll >= 0.95 and len(accounts) > 3:
            name = rng.choice(sorted(accounts))
            say(intent=n, op="delete", name=name)
            editor.delete("account", accounts.pop(name))
            say(done=n)


def _typed(rng: random.Random, n: int, body: str) -> str:
    """The body after the rep's next edit: a line of words, a checkbox (a follow-up made in
    the same transaction), or an earlier box ticked (its follow-up marked done)."""
    roll = rng.random()
    if roll < 0.25:
        due = f"2030-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        return f"{body}\n- [ ] Call back about offer {n} (due {due})"
    if roll < 0.4 and "- [ ]" in body:
        return body.replace("- [ ]", "- [x]", 1)
    words = " ".join(rng.choice(CITIES) for _ in range(rng.randint(1, 12)))
    return f"{body}\nDiscussed item {n}: {words}."


def rep(store: Store, rng: random.Random, account_id: uuid.UUID, note_id: uuid.UUID) -> None:
    """One rep saving one account and one note every few milliseconds, until killed."""
    editor, book = LocalEditor(store), NoteBook(store)
    view = book.note(note_id)
    assert view is not None
    body = view.body
    n = 0
    while True:
        n += 1
        if rng.random() < 0.5:
            fields = {"city": f"city {n}"} if rng.random() < 0.7 else {"phone": f"phone {n}"}
            say(intent=n, op="set", fields=fields)
            editor.set_fields("account", account_id, **fields)
        else:
            body = f"{body}\nsaved {n}"
            say(intent=n, op="save", body=body)
            book.save(note_id, body)
        say(done=n)
        time.sleep(rng.uniform(0.002, 0.04))


def sync_then_wait(
    store: Store, rng: random.Random, url: str, user: str, territory: str, count: int
) -> None:
    """Some edits, a sync, then nothing until killed: its last commits stay in the -wal."""
    from db.store.replica import LocalReplica
    from sync.engine import sync_once

    editor = LocalEditor(store)
    for n in range(count):
        name = f"Before the loss {rng.randrange(10**9)} {n}"
        account_id, _ = editor.create("account", name=name, territory=territory)
        say(done=n, name=name, id=str(account_id))
    outcome = sync_once(LocalReplica(store), url, user, os.environ["FIELDBRIEF_PASSWORD"])
    say(synced=outcome.pushed)
    while True:
        time.sleep(60)


def main(argv: list[str]) -> int:
    mode, data_dir, seed = argv[0], Path(argv[1]), int(argv[2])
    rng = random.Random(seed)
    store = open_store(data_dir)
    say(ready=os.getpid())
    if mode == "edits":
        edits(store, rng)
    elif mode == "rep":
        rep(store, rng, uuid.UUID(argv[3]), uuid.UUID(argv[4]))
    elif mode == "sync-then-wait":
        sync_then_wait(store, rng, argv[3], argv[4], argv[5], int(argv[6]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
