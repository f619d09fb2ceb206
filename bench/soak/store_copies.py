"""Scenario 5: a laptop's store restored from a backup, one that lost its -wal file, and a
data folder copied to a second laptop. Every edit made afterwards must reach the server
(each laptop numbers its edits; a store that forgets or shares its numbers must not have
its new edits taken for ones the server has already seen)."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from bench.soak.checks import ServerView, integrity, outbox_left
from bench.soak.devices import Device
from bench.soak.processes import LineReader, kill_group, sigkill, start_writer
from bench.soak.runner import Outcome, Scenario, Trial
from bench.soak.site import Site, site
from db.store.local_store import STORE_FILENAME

Variant = Callable[[Site, Path, str, random.Random, Outcome], list[Device]]


def _session(variant: Variant) -> Callable[[Path, bool], AbstractContextManager[Trial]]:
    @contextmanager
    def session(folder: Path, quick: bool) -> Iterator[Trial]:
        with site(folder) as here:

            def trial(seed: int) -> Outcome:
                territory = f"{variant.__name__.strip('_')}{seed}"
                here.admin.add_rep("keeper", [territory])
                outcome = Outcome()
                tracebacks = here.server.tracebacks()
                trial_folder = folder / str(seed)
                laptops: list[Device] = []
                try:
                    laptops = variant(here, trial_folder, territory, random.Random(seed), outcome)
                    view = ServerView(here.server.database_file, {territory})
                    for laptop in laptops:
                        lost = laptop.missing_on(view)
                        if lost:
                            outcome.problems.append(
                                f"{len(lost)} of the {len(laptop.expected)} rows edited "
                                f"afterwards are not on the server as last edited, e.g. {lost[0]}"
                            )
                        outcome.check(outbox_left(laptop.store))
                        outcome.check(integrity(laptop.store.path))
                    outcome.check(integrity(here.server.database_file))
                    if here.server.tracebacks() > tracebacks:
                        outcome.problems.append("the server logged a traceback")
                    return outcome
                finally:
                    for laptop in laptops:
                        laptop.close()
                    shutil.rmtree(trial_folder, ignore_errors=True)

            yield trial

    return session


def _synced_laptop(here: Site, folder: Path, territory: str, rng: random.Random) -> list:  # type: ignore[type-arg]
    """A laptop with some accounts, synced and closed (its -wal folded into the store)."""
    laptop = Device(folder, "keeper", territory)
    made = [laptop.create_account(city="Bonn") for _ in range(rng.randint(3, 12))]
    laptop.sync(here.server.url)
    laptop.close()
    return made


def _later_edits(here: Site, laptop: Device, rng: random.Random) -> None:
    """The work after the event: new accounts, changes to the old ones, notes; two syncs."""
    laptop.random_edits(rng, rng.randint(5, 40))
    laptop.sync(here.server.url)
    laptop.sync(here.server.url)


def _restored(
    here: Site, folder: Path, territory: str, rng: random.Random, outcome: Outcome
) -> list[Device]:
    """Backed up while closed; more work synced; the backup put back; then more work."""
    laptop_dir, backup = folder / "laptop", folder / "backup"
    old = _synced_laptop(here, laptop_dir, territory, rng)
    shutil.copytree(laptop_dir, backup)
    since = Device(laptop_dir, "keeper", territory)  # work the backup will not hold
    since.random_edits(rng, rng.randint(5, 40))  # on new accounts only: no one's conflict
    since.sync(here.server.url)
    since.close()
    shutil.rmtree(laptop_dir)
    shutil.copytree(backup, laptop_dir)
    restored = Device(laptop_dir, "keeper", territory)
    restored.adopt(old)
    _later_edits(here, restored, rng)
    return [restored]


def _lost_wal(
    here: Site, folder: Path, territory: str, rng: random.Random, outcome: Outcome
) -> list[Device]:
    """A process makes edits, syncs and is killed; its -wal file (all it wrote since the
    store was last folded) is lost; then more work."""
    laptop_dir = folder / "laptop"
    old = _synced_laptop(here, laptop_dir, territory, rng)
    writer = start_writer(
        "sync-then-wait",
        str(laptop_dir),
        str(rng.randrange(10**6)),
        here.server.url,
        "keeper",
        territory,
        str(rng.randint(3, 30)),
    )
    lines = LineReader(writer)
    try:
        synced = lines.wait_for('{"synced"', timeout=120)
    finally:
        sigkill(writer)()
        kill_group(writer)
    if not synced:
        assert writer.stderr is not None
        raise RuntimeError(f"the writer did not sync: {writer.stderr.read()[-300:]}")
    gone = json.loads(lines.finish()[-1])["synced"]
    wal = laptop_dir / f"{STORE_FILENAME}-wal"
    outcome.tags.append("-wal held the last sync" if wal.stat().st_size else "-wal was empty")
    for suffix in ("-wal", "-shm"):
        (laptop_dir / f"{STORE_FILENAME}{suffix}").unlink(missing_ok=True)
    outcome.tags.append(f"{'edits' if gone else 'nothing'} pushed before the loss")
    laptop = Device(laptop_dir, "keeper", territory)
    laptop.adopt(old)
    _later_edits(here, laptop, rng)
    return [laptop]


def _copied(
    here: Site, folder: Path, territory: str, rng: random.Random, outcome: Outcome
) -> list[Device]:
    """The data folder copied (while closed) to a second laptop; both work on, each on its
    own accounts, syncing in turn."""
    first_dir, second_dir = folder / "first", folder / "second"
    old = _synced_laptop(here, first_dir, territory, rng)
    shutil.copytree(first_dir, second_dir)
    first = Device(first_dir, "keeper", territory)
    second = Device(second_dir, "keeper", territory)
    first.adopt(old[::2])
    second.adopt(old[1::2])
    for _round in range(rng.randint(2, 3)):
        for laptop in rng.sample([first, second], 2):
            laptop.random_edits(rng, rng.randint(3, 20))
            laptop.sync(here.server.url)
    for laptop in (first, second, first, second):
        laptop.sync(here.server.url)
    return [first, second]


SCENARIOS = [
    Scenario(
        name,
        what,
        full=5,
        quick=1,
        seconds=60,
        quick_seconds=20,
        session=_session(variant),
    )
    for name, what, variant in (
        ("restored-backup", "a store restored from a backup, then more edits", _restored),
        ("lost-wal", "a store that lost its -wal file, then more edits", _lost_wal),
        ("copied-folder", "a data folder copied to a second laptop; both edit", _copied),
    )
]
