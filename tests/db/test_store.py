"""Opening, migrating and refusing store files."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlcipher3
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from db.errors import StoreTooNew, StoreUnreadable
from db.store.local_store import STORE_FILENAME, Store
from db.store.models import SYNCED_MODELS, Base, is_orm_managed
from db.store.schema import HEAD_REVISION, KNOWN_REVISIONS, current_revision


def test_migrates_an_empty_folder_to_the_current_schema(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())
    for model in SYNCED_MODELS:
        assert model.__tablename__ in tables
    assert {"search_doc", "search_fts", "alembic_version"} <= tables
    assert current_revision(store.engine) == HEAD_REVISION


def test_every_connection_uses_wal_full_sync_and_foreign_keys(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_relaxed_write_leaves_the_connection_at_full_sync_again(store: Store) -> None:
    with store.session(durable=False) as session:
        assert session.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert session.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 40_000
        session.execute(text("INSERT INTO sync_state (key, value) VALUES ('k', 'v')"))
    for _ in range(3):  # whichever pooled connection comes next
        with store.session() as session:
            assert session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
            assert session.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 1_000
            assert session.execute(text("SELECT value FROM sync_state")).scalar() == "v"


def test_reopening_a_current_store_keeps_its_data(data_dir: Path) -> None:
    from tests.helpers.factories import add_account

    first = Store.open(data_dir)
    add_account(first, "Kept GmbH")
    first.close()
    again = Store.open(data_dir)
    with again.engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM account")).scalar() == "Kept GmbH"
    again.close()


def test_migrations_build_exactly_the_models() -> None:
    """An autogenerate diff of the migrated schema against the models must be empty."""
    from sqlalchemy import create_engine

    engine = create_engine("sqlite://")
    from db.store.schema import migrate

    migrate(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": is_orm_managed})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_known_revisions_match_the_migration_scripts() -> None:
    config = Config()
    config.set_main_option("script_location", "db.store:migrations")
    scripts = ScriptDirectory.from_config(config)
    chain = [rev.revision for rev in scripts.walk_revisions()]
    assert tuple(reversed(chain)) == KNOWN_REVISIONS
    assert scripts.get_current_head() == HEAD_REVISION


def test_a_store_from_a_newer_app_is_refused_in_plain_words(data_dir: Path) -> None:
    Store.open(data_dir).close()
    with sqlite3.connect(data_dir / STORE_FILENAME) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_future'")
    with pytest.raises(StoreTooNew, match="newer Fieldbrief"):
        Store.open(data_dir)


def test_a_file_that_is_not_a_database_is_refused(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / STORE_FILENAME).write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreUnreadable, match="not a Fieldbrief store"):
        Store.open(data_dir)


def test_another_apps_database_is_refused_untouched(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    with sqlite3.connect(data_dir / STORE_FILENAME) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    with pytest.raises(StoreUnreadable, match="not a Fieldbrief store"):
        Store.open(data_dir)
    with sqlite3.connect(data_dir / STORE_FILENAME) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"recipes"}


def test_a_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    with pytest.raises(StoreUnreadable, match="is a file"):
        Store.open(not_a_dir)


def test_upgrading_a_first_version_store_keeps_data_and_search(data_dir: Path) -> None:
    from sqlalchemy import create_engine

    from db.accounts import AccountDirectory
    from db.dto import AccountQuery
    from db.store.schema import _alembic_upgrade
    from tests.helpers.factories import add_account

    data_dir.mkdir(parents=True)
    old = create_engine(f"sqlite:///{data_dir / STORE_FILENAME}")
    _alembic_upgrade(old, KNOWN_REVISIONS[0])
    with old.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO account (id, name, territory, ladder_rung, created_at, updated_at,"
                " version) VALUES ('0123456789abcdef0123456789abcdef', 'Old Timer GmbH',"
                " 'north', 'client', '2025-01-01 00:00:00', '2025-01-01 00:00:00', 1)"
            )
        )
    old.dispose()
    store = Store.open(data_dir)
    assert current_revision(store.engine) == HEAD_REVISION
    add_account(store, "New Arrival Ltd")
    directory = AccountDirectory(store)
    assert [r.name for r in directory.page(AccountQuery(text="old timer"), 0, 5)] == [
        "Old Timer GmbH"
    ]
    assert [r.name for r in directory.page(AccountQuery(text="arrival"), 0, 5)] == [
        "New Arrival Ltd"
    ]
    store.close()


def test_meetings_of_an_older_store_become_timed_ones(data_dir: Path) -> None:
    from sqlalchemy import create_engine, select

    from db.store.models import Meeting
    from db.store.schema import _alembic_upgrade

    data_dir.mkdir(parents=True)
    old = create_engine(f"sqlite:///{data_dir / STORE_FILENAME}")
    _alembic_upgrade(old, "0008_set_aside_rows")
    stamp = "'2025-01-01 00:00:00'"
    with old.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO account (id, name, territory, ladder_rung, created_at, updated_at,"
                f" version) VALUES ('{'a' * 32}', 'Acme', 'north', 'client', {stamp}, {stamp}, 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO meeting (id, account_id, starts_at, ends_at, created_at, updated_at,"
                f" version) VALUES ('{'b' * 32}', '{'a' * 32}', {stamp}, {stamp}, {stamp},"
                f" {stamp}, 1)"
            )
        )
    old.dispose()
    store = Store.open(data_dir)
    try:
        with store.reading() as session:
            assert list(session.scalars(select(Meeting.all_day))) == [False]
    finally:
        store.close()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def _umask(mask: int) -> Iterator[None]:
    before = os.umask(mask)
    try:
        yield
    finally:
        os.umask(before)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_new_store_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with _umask(0):  # the modes are ours, not the umask's
        store = Store.open(data_dir)
    try:
        with store.session() as session:  # the -wal and -shm exist while the store is open
            session.execute(text("INSERT INTO sync_state (key, value) VALUES ('k', 'v')"))
        assert _mode(data_dir) == 0o700
        for suffix in ("", "-wal", "-shm"):
            assert _mode(data_dir / f"{STORE_FILENAME}{suffix}") == 0o600, suffix
    finally:
        store.close()


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_an_older_versions_loose_folder_and_files_are_tightened_on_open(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    Store.open(data_dir).close()
    path = data_dir / STORE_FILENAME
    # An older version's store, open elsewhere (or left by a crash): its -wal and -shm exist.
    # (Through the store's own SQLite: two copies in one process break each other's locks.)
    left_open = sqlcipher3.connect(path)
    try:
        left_open.execute("INSERT INTO sync_state (key, value) VALUES ('k', 'v')")
        left_open.commit()
        data_dir.chmod(0o755)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").chmod(0o644)
        store = Store.open(data_dir)
        store.close()
        assert _mode(data_dir) == 0o700
        for suffix in ("", "-wal", "-shm"):
            assert _mode(Path(f"{path}{suffix}")) == 0o600, suffix
    finally:
        left_open.close()
