"""A rep's offline work and the office's changes meanwhile, ready for one sync to be broken
(killed, or its answers spoiled); then, after a clean sync, the checks that nothing was lost:
every edit on the server once and as last made, outboxes empty, no conflicts (no one else
edits the rep's rows), the laptop holding what the server holds, both stores intact."""

from __future__ import annotations

import math
import random
import shutil
from dataclasses import dataclass

from bench.soak.checks import ServerView, device_rows, integrity, outbox_left
from bench.soak.devices import Device
from bench.soak.site import Site

SHARED_ACCOUNTS = 12  # made by the office; half for the rep to edit, half for the office
BIG_PULL = 1_100  # the office's new accounts in a day that makes the pull take two pages


@dataclass
class Workday:
    device: Device
    office: Device
    territories: set[str]
    first: bool  # the rep's laptop has never synced: its sync is a first download
    requests: int  # about how many requests the laptop's next sync makes
    tracebacks: int  # the server's log before the trial

    def close(self) -> None:
        self.device.close()
        shutil.rmtree(self.device.folder, ignore_errors=True)


def prepare(site: Site, seed: int, rng: random.Random, edits: tuple[int, int]) -> Workday:
    """A rep with unsent edits (`edits`: how many, at least and at most) and an office that
    changed other rows of the territory since; a third of the time the rep's laptop is new
    (its edits are new accounts, and it downloads a territory of two pages too)."""
    territory, url = f"t{seed}", site.server.url
    first = rng.random() < 0.3
    territories = [territory]
    if first:
        base, _ = site.base_territory()
        territories.append(base)
    # The same user every trial, seeing this trial's territory only (a new user's password
    # hash costs a third of a second); the rep's laptop is new every trial.
    site.admin.add_rep("rep", territories)
    tracebacks = site.server.tracebacks()
    device = Device(site.folder / f"{seed}-rep", "rep", territory)
    office = site.office(territory)
    shared = [office.create_account(f"Shared {seed} {n}") for n in range(SHARED_ACCOUNTS)]
    office.accounts = shared[SHARED_ACCOUNTS // 2 :]
    office.sync(url)
    if not first:
        device.sync(url)
        device.adopt(shared[: SHARED_ACCOUNTS // 2])
    low, high = edits
    # Half the days are short (one push), half anything up to `high` (pushes of 200 each).
    count = rng.randint(low, min(high, low + 40) if rng.random() < 0.5 else high)
    device.random_edits(rng, count)
    pulled = rng.randint(0, 40)
    office.random_edits(rng, pulled)
    big = not first and rng.random() < 0.1
    if big:
        office.create_accounts(BIG_PULL, f"Office {seed}")
        pulled += BIG_PULL
    office.sync(url)
    pages = math.ceil((pulled + 1) / 1000) + (2 if first else 0)
    requests = 2 + math.ceil(count / 200) + pages
    return Workday(device, office, set(territories), first, requests, tracebacks)


def problems_after_clean_sync(site: Site, day: Workday) -> list[str]:
    """Syncs the rep's laptop once more, cleanly, and says what is wrong."""
    problems: list[str] = []
    try:
        day.device.sync(site.server.url)
    except Exception as exc:  # a clean sync must work: this is the finding
        return [f"the clean sync after it failed: {type(exc).__name__}: {exc}"]
    for store in (day.device.store, day.office.store):
        said = outbox_left(store)
        if said:
            problems.append(f"{'rep' if store is day.device.store else 'office'}: {said}")
    problems += [
        p for p in (integrity(day.device.store.path), integrity(site.server.database_file)) if p
    ]
    view = ServerView(site.server.database_file, day.territories)
    problems += day.device.missing_on(view) + day.office.missing_on(view)
    conflicts = view.conflicts()
    if conflicts:
        problems.append(f"{len(conflicts)} conflict(s) recorded, yet no one edited another's rows")
    problems += _differences(day, view)
    logged = site.server.tracebacks() - day.tracebacks
    if logged:
        problems.append(f"the server logged {logged} traceback(s) (see {site.server.log})")
    return problems


def _differences(day: Workday, view: ServerView) -> list[str]:
    """Rows the laptop holds otherwise than the server (after a clean sync, none)."""
    problems = []
    for entity in ("account", "visit_note"):
        mine = device_rows(day.device.store, entity)
        theirs = view.of(entity)
        missing = [i for i, row in theirs.items() if not row.deleted and i not in mine]
        if missing:
            problems.append(f"{len(missing)} {entity} row(s) of the server missing on the laptop")
        for row_id, row in theirs.items():
            local = mine.get(row_id)
            if local is None or row.deleted:
                continue
            differ = sorted(k for k, v in row.data.items() if k in local and local[k] != v)
            if differ:
                problems.append(
                    f"{entity} {row_id} {differ[0]}: laptop {local[differ[0]]!r}, "
                    f"server {row.data[differ[0]]!r}"
                )
                break
    return problems


def kind_of(path: str) -> str:
    """'push', 'changes', 'login'... from a request path, for the notes."""
    return path.rstrip("/").rsplit("/", 1)[-1]
