"""The append-only audit log: sign-ins, admin commands, exports, erasures, wipes, policies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.errors import BadRequest
from server.models import AuditEntry, utc_now

ADMIN = "admin"  # the actor of every fieldbrief-server command
# What a failed sign-in under a name no user has is recorded as: the name typed may be a
# password typed into the wrong field, and the audit log never holds a password.
UNKNOWN_NAME = "(an unknown user name)"

# The column sizes of AuditEntry: longer text is cut, never refused (an admin command that
# did its work must not fail on its audit line).
_SIZES = {"action": 40, "actor": 100, "subject": 200, "detail": 500}


@dataclass(frozen=True)
class AuditLine:
    """One entry as the `audit` command shows it."""

    at: datetime
    action: str
    actor: str
    subject: str | None
    detail: str | None

    def text(self) -> str:
        """The entry on one line, its time in UTC."""
        parts = [self.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"), self.actor]
        parts.append(self.action if self.subject is None else f"{self.action} {self.subject}")
        line = "  ".join(parts)
        return f"{line}: {self.detail}" if self.detail else line


def record(
    session: Session,
    *,
    action: str,
    actor: str,
    subject: str | None = None,
    detail: str | None = None,
    at: datetime | None = None,
) -> None:
    """Appends an entry to the audit log, in the caller's transaction (so it is kept exactly
    when what it records is). `actor`: ADMIN for the CLI's commands, else a user name;
    `subject`: whom or what it is about (a user name, an email, a device id); `at`: now by
    default. Never put a password or a token in any of them."""
    if not action.strip() or not actor.strip():
        raise ValueError("an audit entry needs an action and an actor")
    session.add(
        AuditEntry(
            at=at or utc_now(),
            action=_fit("action", action),
            actor=_fit("actor", actor),
            subject=None if subject is None else _fit("subject", subject),
            detail=None if detail is None else _fit("detail", detail),
        )
    )


def entries(
    session: Session, since: date | None = None, user: str | None = None
) -> list[AuditLine]:
    """The log oldest first: from the start of `since` (UTC) on, and only the entries done
    by or about `user` when given."""
    query = select(AuditEntry).order_by(AuditEntry.at, AuditEntry.id)
    if since is not None:
        query = query.where(AuditEntry.at >= datetime.combine(since, time(), UTC))
    if user is not None:
        query = query.where(or_(AuditEntry.actor == user, AuditEntry.subject == user))
    return [
        AuditLine(entry.at, entry.action, entry.actor, entry.subject, entry.detail)
        for entry in session.scalars(query)
    ]


def parse_since(text: str) -> date:
    """A --since date as the admin typed it (YYYY-MM-DD)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"--since takes a date such as 2026-12-01, not {text!r}") from None


def _fit(column: str, text: str) -> str:
    # One line per entry: a typed newline or control character would forge a second one.
    cleaned = "".join(c if c.isprintable() else " " for c in text)
    size = _SIZES[column]
    return cleaned if len(cleaned) <= size else cleaned[: size - 1] + "…"
