"""The server side of a scenario: `fieldbrief-server serve` on 127.0.0.1, the fault proxy
in front of it, its admin, and (made once when asked) a territory big enough that a first
download takes several pages."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.soak.devices import Admin, Device
from bench.soak.processes import ServerProcess
from bench.soak.proxy import Proxy

BASE_TERRITORY = "base"
BASE_ACCOUNTS = 1_100  # two snapshot pages (1,000 rows each)


@dataclass
class Site:
    folder: Path
    server: ServerProcess
    proxy: Proxy
    admin: Admin
    _base: int = field(default=0)
    _office: Device | None = None

    def office(self, territory: str) -> Device:
        """The office's laptop, one for all trials (signed in once), now working in
        `territory` alone: the territory before it is taken away, with what it knew of it."""
        self.admin.add_rep("office", [territory])
        if self._office is None:
            self._office = Device(self.folder / "office", "office", territory)
        office = self._office
        office.territory = territory
        office.expected.clear()
        office.accounts, office.notes, office.created = [], {}, []
        return office

    def close(self) -> None:
        if self._office is not None:
            self._office.close()

    def base_territory(self) -> tuple[str, int]:
        """A territory of BASE_ACCOUNTS accounts no one edits (made on first use)."""
        if not self._base:
            self.admin.add_rep("base-office", [BASE_TERRITORY])
            office = Device(self.folder / "base-office", "base-office", BASE_TERRITORY)
            try:
                office.create_accounts(BASE_ACCOUNTS, "Base account")
                office.sync(self.server.url)
            finally:
                office.close()
            self._base = BASE_ACCOUNTS
        return BASE_TERRITORY, self._base


@contextmanager
def site(folder: Path, seed: int = 0) -> Iterator[Site]:
    server = ServerProcess(folder / "server")
    server.start()
    admin: Admin | None = None
    try:
        admin = Admin(server)
        with Proxy(server.port, random.Random(seed)) as proxy:
            here = Site(folder, server, proxy, admin)
            try:
                yield here
            finally:
                here.close()
    finally:
        if admin is not None:
            admin.close()
        server.stop()
