"""A rep's laptop in the soak (a real store in a folder, edited through the services, each
edit remembered as what the server must end up with) and the server's admin side."""

from __future__ import annotations

import collections
import random
import uuid
from pathlib import Path
from typing import Any

from bench.keyed import open_store
from bench.soak.checks import ServerView
from bench.soak.processes import PASSWORD, ServerProcess
from db.edits import LocalEditor, create_row
from db.field.notes import NoteBook
from db.store.local_store import Store

CITIES = ("Bonn", "Köln", "Aachen", "Lübeck", "Zürich", "Graz", "Lyon", "Gent")


class Admin:
    """Adds territories and reps to a running server's store, as `fieldbrief-server
    territory add` and `user add` do (in this process: each command would cost a second)."""

    def __init__(self, server: ServerProcess) -> None:
        from server.auth import AuthService
        from server.store import ServerStore

        self._store = ServerStore.open(server.database_url)
        self._auth = AuthService(self._store)
        self._territories: set[str] = set()
        self._users: dict[str, set[str]] = {}

    def add_rep(self, user: str, territories: list[str]) -> None:
        """Makes `user` see exactly `territories` (made if new). A user is made once: its
        password hash costs a third of a second, a grant or revoke nothing."""
        for territory in territories:
            if territory not in self._territories:
                self._auth.add_territory(territory)
                self._territories.add(territory)
        sees = self._users.get(user)
        if sees is None:
            self._auth.add_user(user, PASSWORD, territories)
        else:
            for territory in sorted(set(territories) - sees):
                self._auth.grant(user, territory)
            for territory in sorted(sees - set(territories)):
                self._auth.revoke(user, territory)
        self._users[user] = set(territories)

    def close(self) -> None:
        self._store.close()


class Device:
    """One laptop: its store in `folder`, signed in as `user`, working in `territory`."""

    def __init__(self, folder: Path, user: str, territory: str) -> None:
        self.folder, self.user, self.territory = folder, user, territory
        self.store: Store = open_store(folder)
        # What the server must hold after a clean sync: (entity, id) -> field values.
        self.expected: dict[tuple[str, uuid.UUID], dict[str, Any]] = {}
        self.accounts: list[uuid.UUID] = []  # this device's to edit (no one else does)
        self.notes: dict[uuid.UUID, str] = {}
        self.created: list[str] = []  # names of the accounts made here
        self._made = 0
        self._tag = uuid.uuid4().hex[:6]  # names stay unique when a folder is opened again
        self._access: Any = None  # kept between syncs, as the app keeps it in memory

    # -- edits ----------------------------------------------------------------------------

    def create_account(self, name: str | None = None, **fields: Any) -> uuid.UUID:
        self._made += 1
        name = name or f"{self.user} {self.territory} {self._tag} account {self._made}"
        account_id, _ = LocalEditor(self.store).create(
            "account", name=name, territory=self.territory, **fields
        )
        self.expected[("account", account_id)] = {"name": name, **fields}
        self.accounts.append(account_id)
        self.created.append(name)
        return account_id

    def create_accounts(self, count: int, prefix: str) -> list[uuid.UUID]:
        """Many accounts in one transaction (a territory to download), not remembered."""
        with self.store.session() as session:
            return [
                create_row(
                    session,
                    "account",
                    {"name": f"{prefix} {n}", "territory": self.territory, "city": "Bonn"},
                )
                for n in range(count)
            ]

    def set_fields(self, account_id: uuid.UUID, **fields: Any) -> None:
        LocalEditor(self.store).set_fields("account", account_id, **fields)
        self.expected.setdefault(("account", account_id), {}).update(fields)

    def start_note(self, account_id: uuid.UUID) -> uuid.UUID:
        book = NoteBook(self.store)
        note_id, _ = book.start(account_id)
        view = book.note(note_id)
        assert view is not None
        self.notes[note_id] = view.body
        self.expected[("visit_note", note_id)] = {"body": view.body}
        return note_id

    def save_note(self, note_id: uuid.UUID, body: str) -> None:
        NoteBook(self.store).save(note_id, body)
        self.notes[note_id] = body
        self.expected[("visit_note", note_id)] = {"body": body}

    def random_edits(self, rng: random.Random, count: int) -> None:
        """`count` edits of a working day: new accounts, changed fields, notes typed."""
        for _ in range(count):
            roll = rng.random()
            if roll < 0.3 or not self.accounts:
                self.create_account(city=rng.choice(CITIES))
            elif roll < 0.7:
                fields = {"city": rng.choice(CITIES), "phone": f"+49 {rng.randrange(10**9)}"}
                picked = dict(rng.sample(sorted(fields.items()), rng.randint(1, 2)))
                self.set_fields(rng.choice(self.accounts), **picked)
            elif roll < 0.8 or not self.notes:
                self.start_note(rng.choice(self.accounts))
            else:
                note_id = rng.choice(sorted(self.notes))
                line = f"\nItem {rng.randrange(10**6)}: {rng.choice(CITIES)} wants a pilot."
                self.save_note(note_id, self.notes[note_id] + line)

    def adopt(self, account_ids: list[uuid.UUID]) -> None:
        """Accounts this device alone will edit (made elsewhere, downloaded here)."""
        self.accounts.extend(account_ids)

    # -- sync and checks ----------------------------------------------------------------

    def sync(self, url: str) -> Any:
        """One clean sync in this process, as the app runs it (signed in while its access
        token lasts)."""
        from db.store.replica import LocalReplica
        from sync.engine import SyncEngine, http_client

        def keep(access: Any) -> None:
            self._access = access

        with http_client(url) as http:
            engine = SyncEngine(
                LocalReplica(self.store),
                http,
                self.user,
                PASSWORD,
                access=self._access,
                on_access=keep,
            )
            return engine.run()

    def missing_on(self, view: ServerView) -> list[str]:
        """The rows this laptop edited that the server does not hold as last edited (one
        line each), then the accounts made here that it holds more than once."""
        problems = []
        for (entity, row_id), fields in self.expected.items():
            row = view.get(entity, row_id)
            wrong = [name for name, value in fields.items() if row and row.data.get(name) != value]
            if row is None:
                problems.append(f"{entity} {fields.get('name', row_id)} is not on the server")
            elif row.deleted:
                problems.append(f"{entity} {row_id} is deleted on the server")
            elif wrong:
                problems.append(
                    f"{entity} {row_id} {wrong[0]}: the server has "
                    f"{_short(row.data.get(wrong[0]))}, the last edit made it "
                    f"{_short(fields[wrong[0]])}"
                )
        named = collections.Counter(r.data.get("name") for r in view.of("account").values())
        problems += [
            f"account {n!r} is on the server {named[n]} times" for n in self.created if named[n] > 1
        ]
        return problems

    def close(self) -> None:
        self.store.close()

    def reopen(self) -> None:
        self.store = open_store(self.folder)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:30]}...{text[-25:]}"
