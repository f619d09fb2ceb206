"""A quick look at a store file before anything heavy loads: is it ours, and is it too new?

No SQLAlchemy, so the app can refuse a bad store in plain words before it spends time
importing SQLAlchemy and Qt.
"""

from __future__ import annotations

from pathlib import Path

import sqlcipher3

from db.errors import StoreTooNew, StoreUnreadable
from db.store.cipher import StoreKey, check_key, connect, is_encrypted_file

STORE_FILENAME = "fieldbrief.sqlite3"

# Every Alembic revision this app ships, oldest first. Kept as constants so a normal start
# checks the schema with one query and never imports Alembic; tests/db/test_store.py keeps
# this list equal to db/store/migrations/versions.
KNOWN_REVISIONS: tuple[str, ...] = (
    "0001_initial",
    "0002_outbox",
    "0003_remote_records",
    "0004_search_pause",
    "0005_profiles",
    "0006_on_the_road",
    "0007_synced_row_index",
    "0008_set_aside_rows",
    "0009_all_day_meetings",
    "0010_versions_follow_server",
    "0011_profile_answered_index",
    "0012_activity_account_type",
    "0013_search_numbers",
    "0014_profile_dates",
    "0015_account_totals",
    "0016_profile_counts",
    "0017_profile_dates_listed",
    "0018_lead_listed",
    "0019_profile_tier_totals",
    "0020_account_live_index",
)
HEAD_REVISION = KNOWN_REVISIONS[-1]


def revision_of(tables: set[str], read_revision: object) -> str | None:
    """The store's revision given its table names; raises for files that are not stores."""
    if not tables:
        return None
    if "alembic_version" not in tables:
        raise StoreUnreadable("it holds data, but not a Fieldbrief store")
    assert callable(read_revision)
    revision = read_revision()
    return str(revision) if revision is not None else None


def check_known(revision: str | None) -> None:
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise StoreTooNew(
            f"it was written by a newer Fieldbrief (schema {revision}); update the app to open it"
        )


def probe_store_file(path: Path, key: StoreKey | None = None) -> str | None:
    """The revision of the store at `path` (None if missing or empty); raises StoreUserError
    subclasses for a file this app cannot open (WrongStoreKey for an encrypted file `key`
    does not open). A plain file is read as it is, with or without a key."""
    if not path.exists():
        return None
    try:
        # Through SQLCipher's SQLite even when plain: two copies of SQLite in one process
        # do not see each other's locks, and one closing its file drops the other's.
        keyed = key is not None and is_encrypted_file(path)
        conn = connect(path, key if keyed else None, read_only=True)
        try:
            if keyed:
                check_key(conn, path)
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            revision = revision_of(
                tables,
                lambda: conn.execute("SELECT version_num FROM alembic_version").fetchone()[0],
            )
        finally:
            conn.close()
    except sqlcipher3.DatabaseError as exc:
        raise StoreUnreadable(
            f"cannot open the store at {path}: {plain_sqlite_error(exc)}"
        ) from exc
    except StoreUnreadable as exc:
        raise StoreUnreadable(f"cannot open the store at {path}: {exc}") from exc
    except StoreTooNew:
        raise
    try:
        check_known(revision)
    except StoreTooNew as exc:
        raise StoreTooNew(f"cannot open the store at {path}: {exc}") from exc
    return revision


def plain_sqlite_error(exc: Exception) -> str:
    message = str(exc)
    if "not a database" in message:
        return "the file is not a Fieldbrief store (not an SQLite database)"
    if "unable to open" in message:
        return "the file cannot be opened (check the folder exists and is readable)"
    return message
