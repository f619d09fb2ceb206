"""The app's and the CLI's store is encrypted: its key in the keyring or from a passphrase,
no text written to it readable in any file of the data folder, a wrong key one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from db.edits import LocalEditor
from db.store.cipher import StoreKey, is_encrypted_file, is_plain_file
from db.store.local_store import STORE_FILENAME, Store
from desktop.store_key import (
    KEY_RECORD,
    PASSPHRASE_ENV,
    PassphraseNeeded,
    StoreKeyUnavailable,
    forget_store_key,
    key_record,
    passphrase_matches,
    store_key,
)
from tests.helpers.app_store import open_app_store
from tests.helpers.live_server import REP_PASSWORD, rep_server

ROOT = Path(__file__).resolve().parents[2]
FILE_KEYRING = "tests.helpers.file_keyring.FileKeyring"


def fieldbrief(*args: object, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    for name, value in env.items():
        if value == "":
            environment.pop(name)
    return subprocess.run(
        [sys.executable, "-m", "desktop", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=120,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def files_holding(folder: Path, texts: list[str]) -> dict[str, list[str]]:
    """Which of `texts` each file in `folder` (and its subfolders) holds, as bytes."""
    found: dict[str, list[str]] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits = [text for text in texts if text.encode() in data]
            if hits:
                found[str(path.relative_to(folder))] = hits
    return found


@pytest.fixture
def keyring_env(tmp_path: Path) -> dict[str, str]:
    """For the subprocesses: a working keyring (a file), and no passphrase variable."""
    return {
        "PYTHON_KEYRING_BACKEND": FILE_KEYRING,
        "FIELDBRIEF_TEST_KEYRING": str(tmp_path / "keyring.json"),
        PASSPHRASE_ENV: "",
    }


def test_a_new_store_gets_a_random_key_kept_in_the_keyring(
    tmp_path: Path, keyring_env: dict[str, str]
) -> None:
    data = tmp_path / "data"
    made = fieldbrief("demo", "--accounts", "5", "--data-dir", data, **keyring_env)
    assert made.returncode == 0, made.stderr
    record = key_record(data)
    assert record is not None and record.kind == "keyring" and record.salt == ""
    kept = json.loads(Path(keyring_env["FIELDBRIEF_TEST_KEYRING"]).read_text())
    (hex_key,) = [v for k, v in kept.items() if k == f"Fieldbrief/store-key:{record.store_id}"]
    assert len(bytes.fromhex(hex_key)) == 32
    assert hex_key not in (data / KEY_RECORD).read_text()  # the key never touches the disk
    assert is_encrypted_file(data / STORE_FILENAME)
    store = Store.open(data, StoreKey(bytes.fromhex(hex_key)))
    store.close()
    # The key gone from the keyring: one line, the store untouched.
    before = (data / STORE_FILENAME).read_bytes()
    Path(keyring_env["FIELDBRIEF_TEST_KEYRING"]).write_text("{}")
    line = one_line(
        fieldbrief("--data-dir", data, "--screenshot", tmp_path / "x.png", **keyring_env)
    )
    assert "not in this computer's keyring" in line
    assert (data / STORE_FILENAME).read_bytes() == before


def test_with_the_passphrase_variable_the_cli_contract_holds(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {PASSPHRASE_ENV: "correct horse battery staple"}
    made = fieldbrief("demo", "--accounts", "12", "--seed", "3", "--data-dir", data, **env)
    assert made.returncode == 0, made.stderr
    record = key_record(data)
    assert record is not None and record.kind == "passphrase" and len(record.salt) == 32
    shot = fieldbrief("--data-dir", data, "--screenshot", tmp_path / "shot.png", **env)
    assert shot.returncode == 0, shot.stderr
    before = (data / STORE_FILENAME).read_bytes()
    wrong = one_line(
        fieldbrief("--data-dir", data, "--screenshot", tmp_path / "y.png", **{PASSPHRASE_ENV: "no"})
    )
    assert "key does not match" in wrong and "wrong passphrase" in wrong
    missing = one_line(fieldbrief("demo", "--data-dir", data, "--replace", **{PASSPHRASE_ENV: ""}))
    assert PASSPHRASE_ENV in missing
    assert (data / STORE_FILENAME).read_bytes() == before
    assert not (tmp_path / "y.png").exists()


def test_no_keyring_and_no_passphrase_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {PASSPHRASE_ENV: "", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    line = one_line(fieldbrief("demo", "--accounts", "3", "--data-dir", data, **env))
    assert "no keyring" in line and PASSPHRASE_ENV in line
    assert not (data / STORE_FILENAME).exists() and not (data / KEY_RECORD).exists()


def test_an_encrypted_store_without_its_record_is_never_replaced(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert fieldbrief("demo", "--accounts", "3", "--data-dir", data).returncode == 0
    (data / KEY_RECORD).unlink()
    before = (data / STORE_FILENAME).read_bytes()
    line = one_line(fieldbrief("demo", "--accounts", "3", "--data-dir", data))
    assert "key record" in line and KEY_RECORD in line
    assert (data / STORE_FILENAME).read_bytes() == before
    assert not (data / KEY_RECORD).exists()


def test_no_text_of_the_territory_is_readable_in_the_data_folder(tmp_path: Path) -> None:
    """A demo territory, opened by the window and edited: grep every file of the folder
    (store, WAL, SHM, key record, log, window settings) for what the store holds."""
    data = tmp_path / "data"
    assert fieldbrief("demo", "--accounts", "30", "--seed", "5", "--data-dir", data).returncode == 0
    shot = fieldbrief("--data-dir", data, "--screenshot", tmp_path / "shot.png")
    assert shot.returncode == 0, shot.stderr
    with open_app_store(data) as connection:
        texts = [
            *(row[0] for row in connection.execute("SELECT name FROM account LIMIT 30")),
            *(row[0] for row in connection.execute("SELECT email FROM contact LIMIT 30")),
            *(row[0][:40] for row in connection.execute("SELECT body FROM visit_note LIMIT 10")),
        ]
    texts = [text for text in texts if text and len(text) >= 8]
    assert len(texts) >= 40
    assert files_holding(data, texts) == {}
    # The check can fail: a plain copy of the same store holds them all.
    plain = tmp_path / "plain"
    plain.mkdir()
    _copy_into_plain(data, plain)
    assert files_holding(plain, texts[:3])


def _copy_into_plain(encrypted: Path, plain: Path) -> None:
    with open_app_store(encrypted) as connection:
        connection.execute("ATTACH DATABASE ? AS plain KEY ''", (str(plain / STORE_FILENAME),))
        connection.execute("SELECT sqlcipher_export('plain')").fetchone()
        connection.execute("DETACH DATABASE plain")


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    with rep_server(tmp_path / "server") as server:
        yield server.url


def test_sync_encrypts_an_older_plain_store_and_leaves_no_text(
    tmp_path: Path, server_url: str
) -> None:
    data = tmp_path / "laptop"
    store = Store.open(data)  # as an older version left it: plain
    LocalEditor(store).create("account", name="Zyxwvut Quarries", territory="north")
    store.close()
    assert is_plain_file(data / STORE_FILENAME)
    result = fieldbrief(
        "sync", "--server", server_url, "--user", "ana", "--data-dir", data,
        FIELDBRIEF_PASSWORD=REP_PASSWORD, PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "pushed 1 change" in result.stdout
    assert is_encrypted_file(data / STORE_FILENAME)
    assert files_holding(data, ["Zyxwvut", REP_PASSWORD]) == {}
    with open_app_store(data) as connection:
        assert connection.execute("SELECT name FROM account").fetchall() == [("Zyxwvut Quarries",)]


def test_passphrase_keys_are_derived_and_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    data = tmp_path / "data"
    with pytest.raises(PassphraseNeeded) as needed:
        store_key(data)
    assert needed.value.new
    key = store_key(data, "a long passphrase here")
    assert store_key(data, "a long passphrase here") == key
    assert store_key(data, "another passphrase!!") != key
    assert passphrase_matches(data, "a long passphrase here", key)
    assert not passphrase_matches(data, "a long passphrase her", key)
    with pytest.raises(PassphraseNeeded) as again:
        store_key(data)
    assert not again.value.new
    forget_store_key(data)
    assert key_record(data) is None


def test_a_damaged_record_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / KEY_RECORD).write_text("{not json")
    with pytest.raises(StoreKeyUnavailable, match="damaged"):
        store_key(data)
