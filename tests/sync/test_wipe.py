"""A remote wipe as a laptop lives it: `fieldbrief sync` (a real subprocess, a keyring in a
file) against a real server on loopback erases the store, its WAL and SHM, its key, the
exports, the saved sign-in and the unsent edits, says why in one line, and the server
records the wipe as done; a laptop not wiped syncs on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from db.edits import LocalEditor
from db.store.cipher import StoreKey
from db.store.local_store import STORE_FILENAME, Store
from db.store.replica import LocalReplica
from desktop.store_key import KEY_RECORD, key_record
from desktop.sync_service import SyncService
from desktop.wipe import erase_local_copy, erase_wiped_device
from server.cli import main as server_cli
from server.devices import Devices
from server.models import Record
from sync.outcome import DeviceWiped
from tests.helpers.live_server import REP_PASSWORD, RunningServer, rep_server

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    with rep_server(tmp_path / "server") as running:
        yield running


class Laptop:
    """A data folder whose store key and sync password live in a keyring file."""

    def __init__(self, folder: Path, keyring: Path, server: RunningServer) -> None:
        self.folder = folder
        self.keyring = keyring
        self.server = server
        store = Store.open(folder)  # plain: the first `fieldbrief sync` encrypts it
        LocalEditor(store).create("account", name="Acme Corp", territory="north")
        store.close()
        secrets = json.loads(keyring.read_text()) if keyring.exists() else {}
        secrets[f"Fieldbrief/ana@{server.url}"] = REP_PASSWORD
        keyring.write_text(json.dumps(secrets))

    def sync(self) -> subprocess.CompletedProcess[str]:
        environment = {
            k: v
            for k, v in os.environ.items()
            if k not in ("FIELDBRIEF_PASSWORD", "FIELDBRIEF_STORE_PASSPHRASE")
        }
        environment |= {
            "PYTHON_KEYRING_BACKEND": "tests.helpers.file_keyring.FileKeyring",
            "FIELDBRIEF_TEST_KEYRING": str(self.keyring),
            "PYTHONPATH": str(ROOT),
        }
        command = ["sync", "--server", self.server.url, "--user", "ana"]
        return subprocess.run(
            [sys.executable, "-m", "desktop", *command, "--data-dir", str(self.folder)],
            capture_output=True,
            text=True,
            timeout=120,
            env=environment,
            stdin=subprocess.DEVNULL,
            cwd=ROOT,
        )

    def open_store(self) -> Store:
        """The encrypted store, its key read from the keyring file as the app would."""
        record = key_record(self.folder)
        assert record is not None and record.kind == "keyring"
        raw = self.secrets()[f"Fieldbrief/store-key:{record.store_id}"]
        return Store.open(self.folder, StoreKey(bytes.fromhex(raw)))

    def secrets(self) -> dict[str, str]:
        return dict(json.loads(self.keyring.read_text()))

    def client_id(self) -> uuid.UUID:
        store = self.open_store()
        try:
            return LocalReplica(store).client_id()
        finally:
            store.close()


def synced(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr


def erased_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def server_names(server: RunningServer) -> set[str]:
    with server.store.session() as session:
        return {
            str(data["name"])
            for data in session.scalars(select(Record.data).where(Record.entity == "account"))
        }


def test_a_wiped_laptop_erases_everything_and_the_other_syncs_on(
    server: RunningServer, tmp_path: Path
) -> None:
    keyring = tmp_path / "keyring.json"
    lost, kept = (Laptop(tmp_path / name, keyring, server) for name in ("lost", "kept"))
    synced(lost.sync())
    synced(kept.sync())
    # An edit not sent yet, an export, the window's place and the unlock hash.
    store = lost.open_store()
    LocalEditor(store).create("account", name="Unsent Holdings", territory="north")
    lost_id = LocalReplica(store).client_id()
    store.close()
    (lost.folder / "exports").mkdir()
    (lost.folder / "exports" / "meetings.ics").write_text("BEGIN:VCALENDAR\n")
    (lost.folder / "window.ini").write_text("[window]\n")
    (lost.folder / "unlock.hash").write_text("$argon2id$...")
    for suffix in ("-wal", "-shm"):  # as a crash would leave them
        (lost.folder / f"{STORE_FILENAME}{suffix}").touch()
    before = set(lost.secrets())
    assert len(before) == 3  # the password, and each laptop's store key

    Devices(server.store).wipe(str(lost_id), reason="reported stolen on the train")
    line = erased_line(lost.sync())
    assert line.startswith("fieldbrief: this laptop's copy was erased: your administrator ")
    assert line.endswith(
        "wiped this device on " + _today(server) + " (reported stolen on the train)"
    )

    left = sorted(path.name for path in lost.folder.iterdir())
    assert left == ["crash.log", "fieldbrief.log"]  # what support reads; no customer data
    log = (lost.folder / "fieldbrief.log").read_text()
    for personal in ("Acme", "Unsent", "stolen", REP_PASSWORD):
        assert personal not in log
    assert "an administrator wiped this device" in log and "erased this laptop's copy" in log
    # Its keyring entries are gone: the password and its store's key; the other laptop's
    # store key stays.
    assert set(lost.secrets()) == {
        f"Fieldbrief/store-key:{key_record(kept.folder).store_id}"  # type: ignore[union-attr]
    }
    # The unsent edit went with it; the server records the wipe as done.
    assert "Unsent Holdings" not in server_names(server)
    by_id = {d.client_id: d for d in Devices(server.store).listed()}
    assert by_id[lost_id].wipe.startswith("done ")
    assert by_id[kept.client_id()].wipe == "-"

    # The other laptop syncs on (its password is gone from the shared keyring file).
    secrets = kept.secrets() | {f"Fieldbrief/ana@{server.url}": REP_PASSWORD}
    keyring.write_text(json.dumps(secrets))
    result = kept.sync()
    synced(result)
    assert "pulled" in result.stdout


def test_wiping_by_user_and_disabling_wipe_the_next_sync(
    server: RunningServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    laptop = Laptop(tmp_path / "laptop", tmp_path / "keyring.json", server)
    synced(laptop.sync())
    url = server.store.engine.url.render_as_string(hide_password=False)

    # Disabled, devices kept: refused in one line, the copy stays.
    assert server_cli(["--database-url", url, "user", "disable", "ana", "--keep-devices"]) == 0
    refused = laptop.sync()
    assert refused.returncode == 1 and "disabled" in refused.stderr
    assert (laptop.folder / STORE_FILENAME).exists() and (laptop.folder / KEY_RECORD).exists()

    # Disabled the usual way: wiped at the next contact.
    assert server_cli(["--database-url", url, "user", "enable", "ana"]) == 0
    assert server_cli(["--database-url", url, "user", "disable", "ana"]) == 0
    assert "1 device(s) of ana erase their copy" in capsys.readouterr().out
    line = erased_line(laptop.sync())
    assert line.endswith("(your user was disabled)")
    assert not (laptop.folder / STORE_FILENAME).exists()
    assert laptop.secrets() == {}

    # By --user: a new laptop of the re-enabled rep is wiped the same way.
    assert server_cli(["--database-url", url, "user", "enable", "ana"]) == 0
    again = Laptop(tmp_path / "again", tmp_path / "keyring.json", server)
    synced(again.sync())
    assert server_cli(["--database-url", url, "device", "wipe", "--user", "ana"]) == 0
    assert "1 device(s) erase their copy" in capsys.readouterr().out
    erased_line(again.sync())
    assert not (again.folder / STORE_FILENAME).exists()
    assert all(d.wipe.startswith("done ") for d in Devices(server.store).listed())


def test_erasing_goes_on_past_what_is_missing_and_says_what_it_could_not(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "laptop"
    store = Store.open(folder)
    store.close()
    (folder / "exports").mkdir()
    (folder / "exports" / "brief.pdf").write_bytes(b"%PDF")
    erased = erase_local_copy(folder)  # no sign-in known: the files still go
    assert erased.complete and STORE_FILENAME in erased.files and "exports" in erased.files
    assert not (folder / STORE_FILENAME).exists() and not (folder / "exports").exists()
    assert erase_local_copy(folder) == type(erased)((), 0)  # nothing left: nothing to do


def _today(server: RunningServer) -> str:
    return server.auth.clock().date().isoformat()


def test_the_app_hears_of_the_wipe_and_erases_through_the_same_steps(
    server: RunningServer, tmp_path: Path
) -> None:
    folder = tmp_path / "laptop"
    store = Store.open(folder)
    heard: list[DeviceWiped] = []
    try:
        service = SyncService(store, on_wiped=heard.append)
        service.sign_in(server.url, "ana", REP_PASSWORD)
        client_id = LocalReplica(store).client_id()
        Devices(server.store).wipe(user="ana")
        with pytest.raises(DeviceWiped) as raised:
            service.sync()  # with the sign-in it kept: told all the same
    finally:
        store.close()
    assert heard == [raised.value] and raised.value.client_id == client_id
    line = erase_wiped_device(folder, raised.value, server=server.url, username="ana")
    assert line == (
        f"this laptop's copy was erased: your administrator wiped this device on {_today(server)}"
    )
    assert not (folder / STORE_FILENAME).exists()
    (listed,) = Devices(server.store).listed()
    assert listed.wipe.startswith("done ")
