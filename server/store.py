"""Opening the server's database (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from sync.private_files import private_folder, private_sqlite_file

SERVER_DB_FILENAME = "server.sqlite3"
# The PostgreSQL advisory lock migrations take: any number, as long as every server agrees.
MIGRATION_LOCK_KEY = 4_102_026


def database_url_for(data_dir: Path) -> str:
    """The embedded default: an SQLite file in the server's data folder. A folder made here,
    or one that holds our database already, is its owner's only (0700); any other is left
    as it is (the default is the current folder), the database file being 0600 anyway."""
    if not data_dir.is_dir() or (data_dir / SERVER_DB_FILENAME).exists():
        private_folder(data_dir)
    return f"sqlite+pysqlite:///{data_dir / SERVER_DB_FILENAME}"


def create_server_engine(url: str) -> Engine:
    """The one place server engines are made; SQLite gets WAL, FULL sync and foreign keys.

    A plain postgresql:// URL means psycopg 3, the driver we install (SQLAlchemy 2.0 would
    otherwise look for psycopg2).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        file = _sqlite_file(parsed)
        if file is not None:
            private_sqlite_file(file)  # 0600 before SQLite: its -wal and -shm take this mode
        engine = create_engine(
            parsed,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_serializer=_json_text,
            hide_parameters=True,  # a logged error's SQL never carries customer values
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(
        parsed, pool_pre_ping=True, json_serializer=_json_text, hide_parameters=True
    )


def _sqlite_file(url: URL) -> Path | None:
    """The database file of an SQLite URL whose folder exists; None for an in-memory
    database or a file: URI (SQLite reports a missing folder in its own words)."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    path = Path(database)
    return path if path.parent.is_dir() else None


def _json_text(value: Any) -> str:
    # Non-ASCII as itself, not as \u escapes: names and notes in most languages stay
    # a third of the size, and sync pages send the stored text as it is.
    return json.dumps(value, ensure_ascii=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


class ServerStore:
    """The server's database; sessions per request or per admin command."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> ServerStore:
        """Connects and brings the schema up to date."""
        engine = create_server_engine(url)
        migrate(engine)
        return cls(engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def migrate(engine: Engine) -> None:
    """Upgrades the server database with Alembic (server/migrations).

    Servers sharing one PostgreSQL may start at the same moment: each takes a lock for its
    migrating transaction, so the first migrates and the others then find nothing to do.
    """
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "server:migrations")
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
