"""Sign-in throttling: growing waits, then a lock-out, per user name and per client address.

The counts live in the database (login_failure), so every process of `serve --workers N`
and every server on one PostgreSQL sees the same failures. A throttled sign-in is refused
before any password hashing: guessing costs the server a query, not Argon2 work.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.errors import TooManyAttempts
from server.models import LoginFailure
from server.store import ServerStore

Kind = Literal["user", "address"]
KEY_CHARS = 100  # the size of login_failure.key
FIRST_WAIT = timedelta(seconds=1)


@dataclass(frozen=True)
class Limits:
    """How many failures in a row are free, and how long sign-in waits after more."""

    free: int  # failures in a row with no wait after them
    lock_after: int  # failures in a row that lock sign-in out
    lockout: timedelta  # the lock-out, and the longest wait
    forget_after: timedelta  # a failure this long after the previous one counts from 1

    def wait(self, failures: int) -> timedelta:
        """The wait after this many failures in a row: none, then doubling, then locked."""
        if failures >= self.lock_after:
            return self.lockout
        if failures <= self.free:
            return timedelta(0)
        return min(FIRST_WAIT * (1 << (failures - self.free - 1)), self.lockout)


# A rep who mistypes: five tries free, then waits of 1, 2, 4 and 8 seconds; the tenth
# failure in a row locks the name for 15 minutes (and so does each one after it).
USER_LIMITS = Limits(
    free=5, lock_after=10, lockout=timedelta(minutes=15), forget_after=timedelta(days=1)
)
# One address may be a whole office behind one router: more room before the waits start,
# and a count forgotten after an hour's quiet. A right password does not clear it (one
# rep's sign-in must not wipe another's guesses), time does.
ADDRESS_LIMITS = Limits(
    free=20, lock_after=30, lockout=timedelta(minutes=15), forget_after=timedelta(hours=1)
)
LIMITS: dict[Kind, Limits] = {"user": USER_LIMITS, "address": ADDRESS_LIMITS}


@dataclass(frozen=True)
class Failure:
    """One count a failed sign-in raised: whose, how many in a row, and the wait it set."""

    kind: Kind
    key: str
    failures: int
    wait: timedelta


class SignInThrottle:
    """Checks, counts and clears failed sign-ins over the server store."""

    def __init__(self, store: ServerStore, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    def check(self, name: str, address: str | None) -> None:
        """Raises TooManyAttempts while the user name or the address must wait: one
        query, and no password work."""
        now = self._clock()
        keys = _keys(name, address)
        with self._store.engine.connect() as connection:
            until = connection.scalar(
                select(func.max(LoginFailure.blocked_until)).where(
                    or_(*((LoginFailure.kind == k) & (LoginFailure.key == v) for k, v in keys)),
                    LoginFailure.blocked_until > now,
                )
            )
        if until is not None:
            seconds = max(1, math.ceil((until - now).total_seconds()))
            raise TooManyAttempts(
                f"too many failed sign-ins; try again in {_in_words(seconds)}", seconds
            )

    def failed(self, name: str, address: str | None) -> list[Failure]:
        """Counts a failed sign-in against the user name and the address; returns each
        new count and the wait it set."""
        now = self._clock()
        counted = []
        with self._store.session() as session:
            for kind, key in _keys(name, address):
                limits = LIMITS[kind]
                failures = _count(session, kind, key, now, now - limits.forget_after)
                wait = limits.wait(failures)
                session.execute(
                    update(LoginFailure)
                    .where(LoginFailure.kind == kind, LoginFailure.key == key)
                    .values(blocked_until=now + wait if wait else None)
                )
                counted.append(Failure(kind, key, failures, wait))
                # Counts nobody added to for a while go, so guessed names do not pile up.
                # Skipping rows another sign-in holds: this never waits, so never deadlocks.
                stale = (
                    select(LoginFailure.key)
                    .where(
                        LoginFailure.kind == kind,
                        LoginFailure.last_failure_at < now - limits.forget_after,
                    )
                    .with_for_update(skip_locked=True)
                )
                session.execute(
                    delete(LoginFailure).where(
                        LoginFailure.kind == kind, LoginFailure.key.in_(stale)
                    )
                )
        return counted

    def succeeded(self, session: Session, name: str) -> None:
        """A right password clears the user name's count (not the address's), in the
        signing-in transaction."""
        session.execute(
            delete(LoginFailure).where(
                LoginFailure.kind == "user", LoginFailure.key == _name_key(name)
            )
        )


def _keys(name: str, address: str | None) -> list[tuple[Kind, str]]:
    keys: list[tuple[Kind, str]] = [("user", _name_key(name))]
    if address:
        keys.append(("address", address[:KEY_CHARS]))
    return keys


def _name_key(name: str) -> str:
    # A hash, not the name: what is typed as a user name is now and then a password.
    return hashlib.sha256(name.encode()).hexdigest()


def _count(session: Session, kind: Kind, key: str, now: datetime, forget_before: datetime) -> int:
    """Adds one failure in the database, not in Python: concurrent failures from several
    processes all count (the row is locked until the transaction ends)."""
    dialect = session.get_bind().dialect.name
    insert: Any = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect]
    statement = insert(LoginFailure).values(kind=kind, key=key, failures=1, last_failure_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[LoginFailure.kind, LoginFailure.key],
        set_={
            "failures": case(
                (LoginFailure.last_failure_at < forget_before, 1),
                else_=LoginFailure.failures + 1,
            ),
            "last_failure_at": now,
        },
    ).returning(LoginFailure.failures)
    return int(session.execute(statement).scalar_one())


def _in_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
