"""Throwaway PostgreSQL databases for the server tests, on the cluster the environment names."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote

import pytest
from sqlalchemy import URL, create_engine, make_url, pool, text

URL_VARIABLE = "FIELDBRIEF_TEST_DATABASE_URL"
WHY_NOT_VARIABLE = "FIELDBRIEF_TEST_NO_POSTGRES"  # set by tests/pg/with-postgres.sh
HOW_TO = f"set {URL_VARIABLE} or run make test"


def cluster_url() -> URL | None:
    """The admin URL of the test cluster (a database to connect to, a role allowed to
    CREATE DATABASE), e.g. postgresql+psycopg://postgres@/postgres?host=/tmp/pg."""
    raw = os.environ.get(URL_VARIABLE, "").strip()
    return make_url(raw) if raw else None


@functools.cache
def unreachable_reason() -> str | None:
    """Why the PostgreSQL tests cannot run, or None when they can; asked once per run."""
    url = cluster_url()
    if url is None:
        why_not = os.environ.get(WHY_NOT_VARIABLE)
        if why_not:
            return f"PostgreSQL not reachable: the test run could not start one: {why_not}"
        return f"PostgreSQL not reachable: {HOW_TO}"
    engine = create_engine(url, poolclass=pool.NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect():
            return None
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL not reachable at {shown(url)}: {first_line} ({HOW_TO})"
    finally:
        engine.dispose()


def describe() -> str:
    """One line for the test report header."""
    reason = unreachable_reason()
    if reason is not None:
        return f"server database: SQLite only; {reason}"
    url = cluster_url()
    assert url is not None
    return f"server database: SQLite and PostgreSQL ({shown(url)})"


def shown(url: URL) -> str:
    """The URL without its password, a socket folder left readable."""
    return unquote(url.render_as_string(hide_password=True))


@contextmanager
def fresh_database() -> Iterator[str]:
    """The URL of a new, empty database on the test cluster, dropped afterwards.

    Skips the calling test, with the reason, when there is no cluster to use.
    """
    reason = unreachable_reason()
    if reason is not None:
        pytest.skip(reason)
    url = cluster_url()
    assert url is not None
    name = f"fieldbrief_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(url, poolclass=pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                # FORCE: a server thread that has not let go yet must not keep it alive.
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
