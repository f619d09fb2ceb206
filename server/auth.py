"""Sign-in, tokens and the caller behind a request.

Passwords are hashed with Argon2id. Access tokens live 15 minutes, refresh tokens 30 days;
both are random strings stored only as SHA-256 hashes, so the database never holds a
usable token and revoking one is a row update. Refreshing rotates the refresh token, and a
spent one used again ends every token of its sign-in (its family). Failed sign-ins are
throttled per user name and client address (server.throttle).
"""

from __future__ import annotations

import functools
import hashlib
import logging
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

from server import audit
from server.devices import DeviceWiped, request_wipe, wipe_message
from server.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from server.models import AuthToken, Device, Territory, User, user_territory, utc_now
from server.roles import EVERY_TERRITORY, REP, ROLES
from server.store import ServerStore
from server.throttle import SignInThrottle
from sync.protocol import TokenPair

ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=30)
# A spent refresh token sent again this soon, while the pair it bought is unspent, is a
# client retrying after a lost answer: it gets a new pair instead of ending its sign-in.
REUSE_GRACE = timedelta(seconds=30)
WRONG_LOGIN = "wrong user name or password"
SESSION_ENDED = "this session was ended; sign in again"
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1000  # the most a sign-in request carries
# A device's last contact is written at most this often: authenticate() runs on every call.
SEEN_EVERY = timedelta(minutes=1)
DISABLED_REASON = "your user was disabled"

log = logging.getLogger(__name__)
_WHOSE = {"user": "name", "address": "address"}  # what a throttle count belongs to, in words

Clock = Callable[[], datetime]


NAME_CHARS = 100  # the size of the user and territory name columns


@dataclass(frozen=True)
class Caller:
    """Who is calling: the signed-in user, their device and the territories they may see."""

    user_id: int
    username: str
    client_id: uuid.UUID
    territories: frozenset[str]
    # The app version this request said (VERSION_HEADER); None from apps that predate it.
    app_version: str | None = None


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password(password: str) -> None:
    """Refuses (BadRequest) a password that is too short, too long or among the most common
    ones: wherever a password is set."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise BadRequest(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise BadRequest(f"the password has at most {MAX_PASSWORD_CHARS} characters")
    if password.lower() in _common_passwords():
        raise BadRequest("this password is one of the most common ones; choose another")


@functools.cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn's list of the 30,000 most common passwords (lower case), loaded when needed.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


class AuthService:
    """Users, devices and tokens over the server store."""

    def __init__(self, store: ServerStore, clock: Clock = utc_now) -> None:
        self._store = store
        self.store = store
        self._clock = clock
        self.clock = clock
        self.hasher = PasswordHasher()  # argon2id with the library's current parameters
        self.throttle = SignInThrottle(store, clock)

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

    def add_user(self, name: str, password: str, territories: list[str], role: str = REP) -> None:
        """Adds a user of a role (server.roles): a rep syncs `territories`, a manager sees
        them on the console; marketing and admins see every territory, so take none."""
        name = name.strip()
        if not name:
            raise BadRequest("a user needs a name")
        if len(name) > NAME_CHARS:
            raise BadRequest(f"a user name has at most {NAME_CHARS} characters")
        _check_role(role, territories)
        check_password(password)
        with self._store.session() as session:
            # Only the columns every revision has, for tests that add users to older tables.
            if session.scalar(select(User.id).where(User.name == name)) is not None:
                raise Conflict(f"user {name!r} already exists")
            user = User(name=name, password_hash=self.hasher.hash(password))
            if role != REP:  # a rep by the table's default
                user.role = role
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

    def set_disabled(self, name: str, disabled: bool = True, *, wipe_devices: bool = False) -> int:
        """Disables (or re-enables) a user; disabling revokes every token they hold and,
        with `wipe_devices`, has each of their devices erase its copy at its next contact
        (each wipe audited). Returns how many of their devices wait to be wiped."""
        now = self._clock()
        with self._store.session() as session:
            user = _user(session, name)
            user.disabled = disabled
            if disabled:
                self._revoke(session, AuthToken.user_id == user.id)
            devices = list(session.scalars(select(Device).where(Device.user_id == user.id)))
            if disabled and wipe_devices:
                request_wipe(session, devices, user.name, DISABLED_REASON, now)
            return sum(1 for d in devices if d.wipe_requested_at and d.wiped_at is None)

    def set_role(self, name: str, role: str) -> None:
        """Gives a user another role; their console sessions follow at their next page (one
        who becomes a rep is signed out of the console). The territories granted stay, for
        a later role: marketing and admins see every territory whatever they hold."""
        _check_role(role, [])
        with self._store.session() as session:
            _user(session, name).role = role

    # -- sign-in ----------------------------------------------------------------------

    def check_sign_in(self, name: str, password: str, address: str | None, via: str) -> int:
        """The id of the user whose name and password these are, for a sign-in other than
        a device's (`via`: "console"), through the same throttle (TooManyAttempts, before
        any password work), Argon2id and audit of failures as `login`. Unauthorized when
        wrong; Forbidden (audited) for a disabled user. The caller audits the success."""
        self.throttle.check(name, address)
        disabled = False
        with self._store.session() as session:
            user = session.scalar(select(User).where(User.name == name))
            if user is None:
                self.hasher.hash(password)  # same work either way: no user-name probing
            elif self._password_matches(user.password_hash, password):
                self.throttle.succeeded(session, name)
                if not user.disabled:
                    return user.id
                disabled = True
        if disabled:
            with self._store.session() as session:
                detail = f"this user is disabled; {via}, {_from(address)}"
                self._audit(session, "sign-in refused", None, detail, actor=name)
            raise Forbidden("this user is disabled; ask your sales operations admin")
        self._failed(name, address, known=user is not None, via=via)
        raise Unauthorized(WRONG_LOGIN)

    def login(
        self,
        name: str,
        password: str,
        client_id: uuid.UUID,
        address: str | None = None,
        app_version: str | None = None,
    ) -> TokenPair:
        """Signs a user in on a device. `address` is the client's network address: after
        failures, sign-in waits per user name and per address (TooManyAttempts, answered
        before any password work). A device an admin wiped is told so (DeviceWiped),
        whoever signs in on it."""
        self._refuse_wiped(select(Device).where(Device.client_id == client_id))
        self.throttle.check(name, address)
        try:
            with self._store.session() as session:
                user = session.scalar(select(User).where(User.name == name))
                if user is None:
                    self.hasher.hash(password)  # same work either way: no user-name probing
                elif self._password_matches(user.password_hash, password):
                    self.throttle.succeeded(session, name)
                    pair = self._signed_in(session, user, client_id, app_version)
                    self._audit(session, "sign-in", None, _from(address), actor=user.name)
                    return pair
        except Forbidden as refused:  # a disabled user, another user's device
            with self._store.session() as session:
                detail = f"{refused.message}; {_from(address)}"
                self._audit(session, "sign-in refused", None, detail, actor=name)
            raise
        self._failed(name, address, known=user is not None)
        raise Unauthorized(WRONG_LOGIN)

    def refresh(self, refresh_token: str, app_version: str | None = None) -> TokenPair:
        """The next pair for a refresh token, which is spent. A spent one sent again ends
        its family (every token of that sign-in: someone else holds a copy), except within
        REUSE_GRACE of being spent while the pair it bought is unspent: then that pair is
        revoked and a new one issued, for a client whose answer was lost. Any token of a
        device an admin wiped is answered DeviceWiped, spent, revoked or expired."""
        self._refuse_wiped(
            select(Device)
            .join(AuthToken, AuthToken.client_id == Device.client_id)
            .where(AuthToken.token_hash == _hash_token(refresh_token))
        )
        with self._store.session() as session:
            token = self._valid_token(session, refresh_token, "refresh", spent_too=True)
            now = self._clock()
            _seen(session, token.client_id, now, app_version)
            if token.revoked_at is None:
                # Spent once, even by two refreshes at the same moment: only the update that
                # still finds it unrevoked counts (on PostgreSQL the other waits, then finds
                # none, and is refused as before: it is no retry after a lost answer).
                spent: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                    update(AuthToken)
                    .where(AuthToken.id == token.id, AuthToken.revoked_at.is_(None))
                    .values(revoked_at=now, rotated_at=now)
                )
                if spent.rowcount != 1:
                    raise Unauthorized(SESSION_ENDED)
                return self._issue(session, token.user_id, token.client_id, token.family, token.id)
            if token.rotated_at is not None and now - token.rotated_at <= REUSE_GRACE:
                retried: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                    update(AuthToken)
                    .where(
                        AuthToken.parent_id == token.id,
                        AuthToken.kind == "refresh",
                        AuthToken.revoked_at.is_(None),
                    )
                    .values(revoked_at=now)
                )
                if retried.rowcount == 1:
                    self._revoke(session, AuthToken.parent_id == token.id)  # its access token
                    return self._issue(
                        session, token.user_id, token.client_id, token.family, token.id
                    )
            # Revoked by a logout or a disable: refused, no more. Rotated: reused.
            reused = token.rotated_at is not None
        if reused:
            self._end_family(token)
        raise Unauthorized(SESSION_ENDED)

    def logout(self, caller: Caller) -> None:
        """Revokes every token of the caller's device."""
        with self._store.session() as session:
            self._revoke(
                session,
                (AuthToken.user_id == caller.user_id) & (AuthToken.client_id == caller.client_id),
            )

    def authenticate(self, access_token: str, app_version: str | None = None) -> Caller:
        """The caller an access token belongs to; Unauthorized if it is not valid now,
        DeviceWiped (whatever the token's state) if an admin wiped its device.

        Every API call starts here: one query (a row per territory, the device's wipe and
        last contact joined in) on a plain connection, not an ORM session's three. The
        device's last contact (and app version) is written at most every SEEN_EVERY."""
        with self._store.engine.connect() as connection:
            rows = connection.execute(
                _CALLER.where(AuthToken.token_hash == _hash_token(access_token))
            ).all()
        if not rows or rows[0].kind != "access":
            raise Unauthorized("not signed in; sign in again")
        first = rows[0]
        if first.wipe_requested_at is not None:
            raise DeviceWiped(wipe_message(first.wipe_requested_at, first.wipe_reason))
        now = self._clock()
        _check_token(first.kind, first.revoked_at, first.expires_at, first.disabled, self._clock)
        if now - first.last_seen_at >= SEEN_EVERY or (
            app_version is not None and app_version != first.app_version
        ):
            with self._store.session() as session:
                _seen(session, first.client_id, now, app_version)
        return Caller(
            user_id=first.user_id,
            username=first.name,
            client_id=first.client_id,
            territories=frozenset(row.territory for row in rows if row.territory is not None),
            app_version=app_version,
        )

    # -- internals --------------------------------------------------------------------

    def _password_matches(self, password_hash: str, password: str) -> bool:
        try:
            self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        return True

    def _audit(
        self,
        session: Session,
        action: str,
        subject: str | None,
        detail: str | None = None,
        actor: str = audit.ADMIN,
    ) -> None:
        audit.record(
            session, action=action, actor=actor, subject=subject, detail=detail, at=self._clock()
        )

    def _refuse_wiped(self, device_query: Any) -> None:
        """DeviceWiped if the device `device_query` finds was wiped by an admin."""
        with self._store.session() as session:
            device = session.scalar(device_query)
            if device is not None and device.wipe_requested_at is not None:
                raise DeviceWiped(wipe_message(device.wipe_requested_at, device.wipe_reason))

    def _failed(self, name: str, address: str | None, known: bool, via: str = "") -> None:
        """Counts a failed sign-in, logs it (never the password nor the address; the
        name only when it is a user's: an unknown one may be a password typed into the
        wrong field) and audits it (the name likewise, and the address)."""
        with self._store.session() as session:
            actor = name if known else audit.UNKNOWN_NAME
            detail = f"{via}, {_from(address)}" if via else _from(address)
            self._audit(session, "sign-in failed", None, detail, actor=actor)
        who = f"user {name!r}" if known else "an unknown user name"
        # The address as a pseudonym: the same one reads the same, but the log holds no
        # personal data (an address can name a rep's home).
        where = f"address #{_hash_token(address)[:10]}" if address else "an unknown address"
        counts = self.throttle.failed(name, address)
        in_a_row = ", ".join(f"{c.failures} in a row for the {_WHOSE[c.kind]}" for c in counts)
        log.warning("failed sign-in for %s from %s (%s)", who, where, in_a_row)
        for count in counts:
            if count.wait:
                whose = who if count.kind == "user" else f"the {where}"
                seconds = int(count.wait.total_seconds())
                log.warning("sign-in for %s now waits %d s", whose, seconds)

    def _signed_in(
        self, session: Session, user: User, client_id: uuid.UUID, app_version: str | None
    ) -> TokenPair:
        if user.disabled:
            raise Forbidden("this user is disabled; ask your sales operations admin")
        device = session.get(Device, client_id)
        now = self._clock()
        if device is None:
            session.add(
                Device(
                    client_id=client_id,
                    user_id=user.id,
                    registered_at=now,
                    last_seen_at=now,
                    app_version=app_version,
                )
            )
        elif device.user_id != user.id:
            raise Forbidden("this device is registered to another user")
        else:
            device.last_seen_at = now
            device.app_version = app_version or device.app_version
        session.flush()
        return self._issue(session, user.id, client_id, uuid.uuid4())

    def _issue(
        self,
        session: Session,
        user_id: int,
        client_id: uuid.UUID,
        family: uuid.UUID,
        parent_id: int | None = None,
    ) -> TokenPair:
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
                    family=family,
                    parent_id=parent_id,
                )
            )
        return TokenPair(
            access_token=access,
            refresh_token=refresh,
            expires_in=int(ACCESS_TTL.total_seconds()),
        )

    def _valid_token(
        self, session: Session, raw: str, kind: str, spent_too: bool = False
    ) -> AuthToken:
        token = session.scalar(select(AuthToken).where(AuthToken.token_hash == _hash_token(raw)))
        if token is None or token.kind != kind:
            raise Unauthorized("not signed in; sign in again")
        user = session.get(User, token.user_id)
        disabled = user is None or user.disabled
        revoked_at = None if spent_too else token.revoked_at
        _check_token(kind, revoked_at, token.expires_at, disabled, self._clock)
        return token

    def _end_family(self, reused: AuthToken) -> None:
        """Revokes every token of the sign-in a spent refresh token came from."""
        with self._store.session() as session:
            self._revoke(session, AuthToken.family == reused.family)
            user = session.get(User, reused.user_id)
        log.warning(
            "a spent refresh token of user %r was sent again: ended that sign-in on device %s",
            user.name if user is not None else reused.user_id,
            reused.client_id,
        )

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
        Device.last_seen_at,
        Device.app_version,
        Device.wipe_requested_at,
        Device.wipe_reason,
    )
    .join(User, User.id == AuthToken.user_id)
    .join(Device, Device.client_id == AuthToken.client_id)
    .outerjoin(user_territory, user_territory.c.user_id == User.id)
    .outerjoin(Territory, Territory.id == user_territory.c.territory_id)
)


def _seen(session: Session, client_id: uuid.UUID, now: datetime, app_version: str | None) -> None:
    """Notes a device's contact (and the app version it said, if any)."""
    values: dict[str, Any] = {"last_seen_at": now}
    if app_version is not None:
        values["app_version"] = app_version
    session.execute(update(Device).where(Device.client_id == client_id).values(**values))


def _from(address: str | None) -> str:
    return f"from {address}" if address else "from an unknown address"


def _check_token(
    kind: str, revoked_at: datetime | None, expires_at: datetime, disabled: bool, clock: Clock
) -> None:
    if revoked_at is not None:
        raise Unauthorized("this session was ended; sign in again")
    if expires_at <= clock():
        raise Unauthorized(f"the {kind} token has expired")
    if disabled:
        raise Unauthorized("this user is disabled; ask your sales operations admin")


def _check_role(role: str, territories: list[str]) -> None:
    if role not in ROLES:
        raise BadRequest(f"a role is one of {', '.join(ROLES)}, not {role!r}")
    if role in EVERY_TERRITORY and territories:
        raise BadRequest(f"a {role} user sees every territory: leave out --territory")


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
