"""The store encrypted at rest: no written text in its files, wrong keys refused, plain
stores encrypted in place safely even when the process is killed at any step."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from db.errors import StoreUnreadable
from db.store.cipher import (
    ENCRYPTING_SUFFIX,
    StoreKey,
    WrongStoreKey,
    encrypt_in_place,
    is_encrypted_file,
    is_plain_file,
)
from db.store.local_store import STORE_FILENAME, Store

SECRET = "Gwendolyn Abernathy-Quist confided her divorce"
KEY = StoreKey(bytes(range(32)))


def _write_secret(store: Store, body: str = SECRET) -> None:
    with store.session() as session:
        session.execute(
            text("INSERT INTO sync_state (key, value) VALUES (:k, :v)"), {"k": "note", "v": body}
        )


def _read_secret(store: Store) -> str | None:
    with store.reading() as session:
        return session.execute(text("SELECT value FROM sync_state WHERE key = 'note'")).scalar()


def _store_files(data_dir: Path) -> list[Path]:
    return [path for path in data_dir.iterdir() if path.is_file()]


def _files_hold(data_dir: Path, needle: str) -> list[str]:
    return [path.name for path in _store_files(data_dir) if needle.encode() in path.read_bytes()]


def test_an_encrypted_store_holds_no_written_text_in_any_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    store = Store.open(data_dir, KEY)
    try:
        _write_secret(store)
        # While open: the WAL holds the new pages, encrypted too.
        assert (data_dir / f"{STORE_FILENAME}-wal").exists()
        assert _files_hold(data_dir, "Abernathy") == []
    finally:
        store.close()
    assert _files_hold(data_dir, "Abernathy") == []
    assert is_encrypted_file(data_dir / STORE_FILENAME)
    reopened = Store.open(data_dir, KEY)
    try:
        assert _read_secret(reopened) == SECRET
    finally:
        reopened.close()


def test_the_same_text_in_a_plain_store_is_found_so_the_check_can_fail(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    store = Store.open(data_dir)
    try:
        _write_secret(store)
    finally:
        store.close()
    assert _files_hold(data_dir, "Abernathy") == [STORE_FILENAME]


def test_a_wrong_key_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    Store.open(data_dir, KEY).close()
    before = {path.name: path.read_bytes() for path in _store_files(data_dir)}
    with pytest.raises(WrongStoreKey, match="key does not match"):
        Store.open(data_dir, StoreKey(secrets.token_bytes(32)))
    with pytest.raises(StoreUnreadable):
        Store.open(data_dir)  # no key at all: never read as a new plain store
    assert {path.name: path.read_bytes() for path in _store_files(data_dir)} == before


def test_the_key_never_shows_in_a_repr_or_the_engine(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data", KEY)
    try:
        hexed = KEY.raw.hex()
        assert hexed not in repr(KEY) and hexed not in str(KEY)
        assert hexed not in repr(store.engine) and hexed not in str(store.engine.url)
    finally:
        store.close()


def test_a_plain_store_of_an_older_version_is_encrypted_in_place(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    plain = Store.open(data_dir)
    try:
        _write_secret(plain)
    finally:
        plain.close()
    store = Store.open(data_dir, KEY)
    try:
        assert _read_secret(store) == SECRET
        assert not is_plain_file(data_dir / STORE_FILENAME)
    finally:
        store.close()
    assert _files_hold(data_dir, "Abernathy") == []
    assert not (data_dir / f"{STORE_FILENAME}{ENCRYPTING_SUFFIX}").exists()
    assert oct((data_dir / STORE_FILENAME).stat().st_mode & 0o777) == oct(0o600)


# A child process encrypts the store and kills itself with SIGKILL at one step: the power
# cord pulled there. What it leaves must open, whole, as the old store or the new one.
_KILLED_AT = """
import os, signal, sys
from pathlib import Path
from db.store import cipher
from db.store.local_store import STORE_FILENAME

step_to_die_at = sys.argv[2]

def step(name):
    if name == step_to_die_at:
        os.kill(os.getpid(), signal.SIGKILL)

cipher.encrypt_in_place(Path(sys.argv[1]) / STORE_FILENAME, cipher.StoreKey(bytes(range(32))), step)
"""

STEPS = ["checkpointed", "exported", "synced", "cleared", "replaced", "never"]


@pytest.mark.parametrize("step", STEPS)
def test_a_kill_at_any_step_of_the_encryption_leaves_one_whole_store(
    tmp_path: Path, step: str
) -> None:
    data_dir = tmp_path / "data"
    plain = Store.open(data_dir)
    try:
        _write_secret(plain)
        _write_secret_rows(plain, 2_000)  # enough pages that the copy takes a while
    finally:
        plain.close()
    child = subprocess.run(
        [sys.executable, "-c", _KILLED_AT, str(data_dir), step],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    expected = 0 if step == "never" else -signal.SIGKILL
    assert child.returncode == expected, child.stderr
    path = data_dir / STORE_FILENAME
    encrypted_now = is_encrypted_file(path)
    assert encrypted_now == (step in ("replaced", "never"))
    # Whatever was left opens with its own key and holds every row...
    left = Store.open(data_dir, KEY if encrypted_now else None)
    try:
        assert _read_secret(left) == SECRET and _count_rows(left) == 2_001
    finally:
        left.close()
    # ...and the next start of the app finishes the work.
    store = Store.open(data_dir, KEY)
    try:
        assert _read_secret(store) == SECRET and _count_rows(store) == 2_001
    finally:
        store.close()
    assert _files_hold(data_dir, "Abernathy") == []
    assert not (data_dir / f"{STORE_FILENAME}{ENCRYPTING_SUFFIX}").exists()


def test_a_kill_at_any_moment_of_the_encryption_leaves_one_whole_store(tmp_path: Path) -> None:
    """Kills at moments spread over the whole encryption, not only between steps."""
    source = tmp_path / "source"
    plain = Store.open(source)
    try:
        _write_secret(plain)
        _write_secret_rows(plain, 20_000)
    finally:
        plain.close()
    root = Path(__file__).resolve().parents[2]
    encrypt = _KILLED_AT.replace("step_to_die_at = sys.argv[2]", "step_to_die_at = None")
    for trial, delay in enumerate((0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6)):
        data_dir = tmp_path / f"trial{trial}"
        data_dir.mkdir()
        (data_dir / STORE_FILENAME).write_bytes((source / STORE_FILENAME).read_bytes())
        child = subprocess.Popen([sys.executable, "-c", encrypt, str(data_dir), "x"], cwd=root)
        try:
            child.wait(timeout=delay + 0.3)  # imports take ~0.3 s; then the copy runs
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
            child.wait()
        encrypted_now = is_encrypted_file(data_dir / STORE_FILENAME)
        left = Store.open(data_dir, KEY if encrypted_now else None)
        try:
            assert _count_rows(left) == 20_001, (trial, encrypted_now)
        finally:
            left.close()


def test_encrypting_a_store_in_use_elsewhere_is_refused_unchanged(tmp_path: Path) -> None:
    import sqlcipher3

    data_dir = tmp_path / "data"
    plain = Store.open(data_dir)
    try:
        _write_secret(plain)
    finally:
        plain.close()
    path = data_dir / STORE_FILENAME
    reader = sqlcipher3.connect(path)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM sync_state").fetchone()
        writer = Store.open(data_dir)
        try:
            _write_secret_rows(writer, 10)  # a WAL the reader's snapshot holds back
        finally:
            writer.close()
        with pytest.raises(StoreUnreadable, match="in use"):
            encrypt_in_place(path, KEY)
    finally:
        reader.close()
    assert is_plain_file(path)
    store = Store.open(data_dir, KEY)  # once nobody else has it open, it goes through
    try:
        assert _count_rows(store) == 11
    finally:
        store.close()


def _write_secret_rows(store: Store, count: int) -> None:
    with store.session() as session:
        session.execute(
            text("INSERT INTO sync_state (key, value) VALUES (:k, :v)"),
            [{"k": f"row{i}", "v": f"{SECRET} {i} " + "x" * 200} for i in range(count)],
        )


def _count_rows(store: Store) -> int:
    with store.reading() as session:
        return int(session.execute(text("SELECT count(*) FROM sync_state")).scalar_one())


def test_the_folder_and_files_of_an_encrypted_store_stay_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    store = Store.open(data_dir, KEY)
    try:
        _write_secret(store)
        for path in _store_files(data_dir):
            assert path.stat().st_mode & 0o077 == 0, path.name
    finally:
        store.close()
    assert os.stat(data_dir).st_mode & 0o077 == 0
