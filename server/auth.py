"""Sign-in, tokens and the caller behind a request.

Passwords are hashed with Argon2id. Access tokens live 15 minutes, refresh tokens 30 days;
both are random strings stored only as SHA-256 hashes, so the database never holds a
usable token and revoking one is a row update. Refreshing rotates the refresh token.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from server.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from server.models import AuthToken, Device, Territory, User, user_territory, utc_now
from server.store import ServerStore
from sync.protocol import TokenPair

ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=30)
WRONG_LOGIN = "wrong user name or password"

Clock = Callable[[], datetime]


NAME_CHARS = 100  # the size of the user and territory name columns


@dataclass(frozen=True)
class Caller:
    """Who is calling: the signed-in user, their device and the territories they may see."""

    user_id: int
    username: str
    client_id: uuid.UUID
    territories: frozenset[str]


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AuthService:
    """Users, devices and tokens over the server store."""

    def __init__(self, store: ServerStore, clock: Clock = utc_now) -> None:
        self._store = store
        self.store = store
        self._clock = clock
        self.clock = clock
        self._hasher = PasswordHasher()  # argon2id with the library's current parameters

    # -- administration -------------------------------------------------------------

    def add_territory(self, name: str) -> None:
        name = name.strip()
        if not name:
            raise BadRequest("a territory needs a name")
        if len(name) > NAME_CHARS:
            raise BadRequest(f"a territory name has at most {NAME_CHARS} characters")
        with self._store.session() as session:
            if session.scalar(select(Territory).where(Territory.name == name)):
                raise Conflict(f"territory {name!r} already exists")
            session.add(Territory(name=name))

    def add_user(self, name: str, password: str, territories: list[str]) -> None:
        name = name.strip()
        if not name:
            raise BadRequest("a user needs a name")
        if len(name) > NAME_CHARS:
            raise BadRequest(f"a user name has at most {NAME_CHARS} characters")
        if len(password) < 8:
            raise BadRequest("the password must have at least 8 characters")
        with self._store.session() as session:
            if session.scalar(select(User).where(User.name == name)):
                raise Conflict(f"user {name!r} already exists")
            user = User(name=name, password_hash=self._hasher.hash(password))
            user.territories = [_territory(session, t) for t in territories]
            session.add(user)

    def grant(self, name: str, territory: str) -> None:
        """Lets a user see one more territory; their devices download it at the next sync."""
        with self._store.session() as session:
            user = _user(session, name)
            granted = _territory(session, territory)
            if granted not in user.territories:
                user.territories.append(granted)

    def revoke(self, name: str, territory: str) -> None:
        """Takes a territory away; the user's devices remove its rows at the next sync."""
        with self._store.session() as session:
            user = _user(session, name)
            user.territories = [t for t in user.territories if t.name != territory]

    def set_disabled(self, name: str, disabled: bool = True) -> None:
        """Disables (or re-enables) a user; disabling revokes every token they hold."""
        with self._store.session() as session:
            user = _user(session, name)
            user.disabled = disabled
            if disabled:
                self._revoke(session, AuthToken.user_id == user.id)

    # -- sign-in ----------------------------------------------------------------------

    def login(self, name: str, password: str, client_id: uuid.UUID) -> TokenPair:
        with self._store.session() as session:
            user = session.scalar(select(User).where(User.name == name))
            if user is None:
                self._hasher.hash(password)  # same work either way: no user-name probing
                raise Unauthorized(WRONG_LOGIN)
            try:
                self._hasher.verify(user.password_hash, password)
            except (VerificationError, InvalidHashError):
                raise Unauthorized(WRONG_LOGIN) from None
            if user.disabled:
                raise Forbidden("this user is disabled; ask your sales operations admin")
            device = session.get(Device, client_id)
            now = self._clock()
            if device is None:
                session.add(Device(client_id=client_id, user_id=user.id, registered_at=now))
            elif device.user_id != user.id:
                raise Forbidden("this device is registered to another user")
            else:
                device.last_seen_at = now
            session.flush()
            return self._issue(session, user.id, client_id)

    def refresh(self, refresh_token: str) -> TokenPair:
        with self._store.session() as session:
            token = self._valid_token(session, refresh_token, "refresh")
            # Spent once, even by two refreshes at the same moment: only the update that
            # still finds it unrevoked counts (on PostgreSQL the other waits, then finds none).
            spent: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                update(AuthToken)
                .where(AuthToken.id == token.id, AuthToken.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            )
            if spent.rowcount != 1:
                raise Unauthorized("this session was ended; sign in again")
            return self._issue(session, token.user_id, token.client_id)

    def logout(self, caller: Caller) -> None:
        """Revokes every token of the caller's device."""
        with self._store.session() as session:
            self._revoke(
                session,
                (AuthToken.user_id == caller.user_id) & (AuthToken.client_id == caller.client_id),
            )

    def authenticate(self, access_token: str) -> Caller:
        """The caller an access token belongs to; Unauthorized if it is not valid now.

        Every API call starts here: one query (a row per territory) on a plain connection,
        not an ORM session's three."""
        with self._store.engine.connect() as connection:
            rows = connection.execute(
                _CALLER.where(AuthToken.token_hash == _hash_token(access_token))
            ).all()
        if not rows or rows[0].kind != "access":
            raise Unauthorized("not signed in; sign in again")
        first = rows[0]
        _check_token(first.kind, first.revoked_at, first.expires_at, first.disabled, self._clock)
        return Caller(
            user_id=first.user_id,
            username=first.name,
            client_id=first.client_id,
            territories=frozenset(row.territory for row in rows if row.territory is not None),
        )

    # -- internals --------------------------------------------------------------------

    def _issue(self, session: Session, user_id: int, client_id: uuid.UUID) -> TokenPair:
        now = self._clock()
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        for token, kind, ttl in ((access, "access", ACCESS_TTL), (refresh, "refresh", REFRESH_TTL)):
            session.add(
                AuthToken(
                    token_hash=_hash_token(token),
                    kind=kind,
                    user_id=user_id,
                    client_id=client_id,
                    expires_at=now + ttl,
                )
            )
        return TokenPair(
            access_token=access,
            refresh_token=refresh,
            expires_in=int(ACCESS_TTL.total_seconds()),
        )

    def _valid_token(self, session: Session, raw: str, kind: str) -> AuthToken:
        token = session.scalar(select(AuthToken).where(AuthToken.token_hash == _hash_token(raw)))
        if token is None or token.kind != kind:
            raise Unauthorized("not signed in; sign in again")
        user = session.get(User, token.user_id)
        disabled = user is None or user.disabled
        _check_token(kind, token.revoked_at, token.expires_at, disabled, self._clock)
        return token

    def _revoke(self, session: Session, where: object) -> None:
        session.execute(
            update(AuthToken)
            .where(where, AuthToken.revoked_at.is_(None))  # type: ignore[arg-type]
            .values(revoked_at=self._clock())
        )


# The caller behind an access token: the token, its user, and a row per territory.
_CALLER = (
    select(
        AuthToken.kind,
        AuthToken.revoked_at,
        AuthToken.expires_at,
        AuthToken.user_id,
        AuthToken.client_id,
        User.name,
        User.disabled,
        Territory.name.label("territory"),
    )
    .join(User, User.id == AuthToken.user_id)
    .outerjoin(user_territory, user_territory.c.user_id == User.id)
    .outerjoin(Territory, Territory.id == user_territory.c.territory_id)
)


def _check_token(
    kind: str, revoked_at: datetime | None, expires_at: datetime, disabled: bool, clock: Clock
) -> None:
    if revoked_at is not None:
        raise Unauthorized("this session was ended; sign in again")
    if expires_at <= clock():
        raise Unauthorized(f"the {kind} token has expired")
    if disabled:
        raise Unauthorized("this user is disabled; ask your sales operations admin")


def _user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user {name!r}")
    return user


def _territory(session: Session, name: str) -> Territory:
    territory = session.scalar(select(Territory).where(Territory.name == name))
    if territory is None:
        raise NotFound(f"no territory {name!r}; add it first with: territory add {name}")
    return territory
