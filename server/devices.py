"""The devices reps sign in from: listing them, wiping them remotely, and the offline limit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server import audit
from server.errors import BadRequest, Gone, NotFound
from server.models import Device, ServerSetting, User, utc_now
from server.store import ServerStore
from sync.protocol import DEVICE_WIPED, MAX_OFFLINE_DAYS

OFFLINE_DAYS = "offline_days"
REASON_CHARS = 200  # the size of Device.wipe_reason


class DeviceWiped(Gone):
    """An admin wiped this device: every call it makes is answered so (410), until and
    after it says it erased its copy (POST /device/wiped)."""

    code = DEVICE_WIPED


def wipe_message(requested_at: datetime, reason: str | None) -> str:
    """What a wiped device is told, and shows its rep, in one line."""
    message = f"your administrator wiped this device on {requested_at.date().isoformat()}"
    return f"{message} ({reason})" if reason else message


@dataclass(frozen=True)
class DeviceLine:
    """One device as `device list` shows it."""

    client_id: uuid.UUID
    user: str
    app_version: str | None
    first_seen: datetime
    last_seen: datetime
    wipe_requested_at: datetime | None
    wiped_at: datetime | None

    @property
    def wipe(self) -> str:
        if self.wiped_at is not None:
            return f"done {_day(self.wiped_at)}"
        if self.wipe_requested_at is not None:
            return f"requested {_day(self.wipe_requested_at)}"
        return "-"


def request_wipe(
    session: Session,
    devices: list[Device],
    user: str,
    reason: str | None,
    now: datetime,
    why: str = "device wipe",
    actor: str = audit.ADMIN,
) -> list[Device]:
    """Marks `devices` (of `user`) to be wiped at their next contact, in the caller's
    transaction, with an audit entry each (by `actor`: the CLI's ADMIN, or the console
    admin's name); those wiped or marked already are left as they are. Returns the devices
    marked now."""
    marked = []
    for device in devices:
        if device.wipe_requested_at is not None:
            continue
        device.wipe_requested_at, device.wipe_reason = now, reason
        detail = f"device {device.client_id}" + (f": {reason}" if reason else "")
        audit.record(session, action=why, actor=actor, subject=user, detail=detail, at=now)
        marked.append(device)
    return marked


class Devices:
    """The devices of every rep over the server store (for the admin's CLI and the route
    a wiped device confirms with)."""

    def __init__(self, store: ServerStore, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._clock = clock

    def listed(self, user: str | None = None) -> list[DeviceLine]:
        """Every device (or `user`'s), by user, then first seen."""
        with self._store.session() as session:
            query = (
                select(Device, User.name)
                .join(User, User.id == Device.user_id)
                .order_by(User.name, Device.registered_at, Device.client_id)
            )
            if user is not None:
                query = query.where(User.id == _user(session, user).id)
            return [
                DeviceLine(
                    device.client_id,
                    name,
                    device.app_version,
                    device.registered_at,
                    device.last_seen_at,
                    device.wipe_requested_at,
                    device.wiped_at,
                )
                for device, name in session.execute(query)
            ]

    def wipe(
        self,
        device: str | None = None,
        user: str | None = None,
        reason: str | None = None,
        actor: str = audit.ADMIN,
    ) -> list[uuid.UUID]:
        """Marks one device (by id) or every device of a user to be wiped at its next
        contact; the ids marked now (none: all were wiped or marked before). `actor` is
        who the audit log names: the CLI's ADMIN, or the console admin's user name."""
        if (device is None) == (user is None):
            raise BadRequest("name a device id or --user NAME (one of them)")
        reason = _reason(reason)
        now = self._clock()
        with self._store.session() as session:
            if device is not None:
                found = session.get(Device, _device_id(device))
                if found is None:
                    raise NotFound(f"no device {device}; see: device list")
                owner = session.get(User, found.user_id)
                assert owner is not None
                marked = request_wipe(session, [found], owner.name, reason, now, actor=actor)
            else:
                assert user is not None
                owner = _user(session, user)
                mine = session.scalars(select(Device).where(Device.user_id == owner.id)).all()
                marked = request_wipe(session, list(mine), owner.name, reason, now, actor=actor)
            return [d.client_id for d in marked]

    def confirm_wiped(self, client_id: uuid.UUID) -> None:
        """Records that a device marked for wiping erased its copy (once: a second
        confirmation changes nothing). NotFound for a device not marked."""
        now = self._clock()
        with self._store.session() as session:
            row = session.execute(
                select(Device.wipe_requested_at, Device.wiped_at, User.name)
                .join(User, User.id == Device.user_id)
                .where(Device.client_id == client_id)
            ).first()
            # The same answer for an unknown device and one not marked: nobody learns
            # which device ids exist.
            if row is None or row.wipe_requested_at is None:
                raise NotFound("this device was not asked to wipe its copy")
            if row.wiped_at is not None:
                return
            session.execute(
                update(Device)
                .where(Device.client_id == client_id, Device.wiped_at.is_(None))
                .values(wiped_at=now)
            )
            audit.record(
                session, action="wipe done", actor=row.name, subject=str(client_id), at=now
            )


def offline_days(session: Session) -> int | None:
    """Days a device may go without syncing before it erases its copy (None: no limit)."""
    setting = session.get(ServerSetting, OFFLINE_DAYS)
    if setting is None or not setting.value.isdigit():
        return None
    days = int(setting.value)
    return days if 1 <= days <= MAX_OFFLINE_DAYS else None


def set_offline_days(session: Session, days: int | None) -> None:
    """Sets (or, with None, lifts) the offline limit; devices hear of it at their next sync."""
    if days is not None and not 1 <= days <= MAX_OFFLINE_DAYS:
        raise BadRequest(f"offline-days takes a number of days from 1 to {MAX_OFFLINE_DAYS}")
    setting = session.get(ServerSetting, OFFLINE_DAYS)
    if days is None:
        if setting is not None:
            session.delete(setting)
            session.flush()  # read back as gone in this transaction
        return
    if setting is None:
        session.add(ServerSetting(key=OFFLINE_DAYS, value=str(days)))
    else:
        setting.value, setting.changed_at = str(days), utc_now()


def format_devices(lines: list[DeviceLine]) -> str:
    """`device list` as a table (times in UTC)."""
    if not lines:
        return "No devices yet."
    header = ("device", "user", "app version", "first seen", "last seen", "wipe")
    rows = [
        (
            str(line.client_id),
            line.user,
            line.app_version or "?",
            _minute(line.first_seen),
            _minute(line.last_seen),
            line.wipe,
        )
        for line in lines
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    )


def _day(at: datetime) -> str:
    return at.date().isoformat()


def _minute(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


def _reason(reason: str | None) -> str | None:
    if reason is None or not reason.strip():
        return None
    reason = " ".join(reason.split())  # one line: it is shown to the rep as one
    if len(reason) > REASON_CHARS:
        raise BadRequest(f"a wipe's reason has at most {REASON_CHARS} characters")
    return reason


def _device_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        raise BadRequest(f"{text!r} is not a device id (see: device list)") from None


def _user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user {name!r}")
    return user
