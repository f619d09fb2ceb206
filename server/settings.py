"""Company-wide settings an admin sets with the CLI, read by the routes that obey them."""

from __future__ import annotations

from typing import get_args

from sqlalchemy.orm import Session

from server.errors import BadRequest
from server.models import ServerSetting, utc_now
from sync.protocol import SensitivePolicy

SENSITIVE_ANSWERS = "sensitive_answers"
SENSITIVE_POLICIES: tuple[SensitivePolicy, ...] = get_args(SensitivePolicy)


def sensitive_policy(session: Session) -> SensitivePolicy:
    """Whether sensitive profile answers may be kept on devices ("allowed", the default)."""
    setting = session.get(ServerSetting, SENSITIVE_ANSWERS)
    if setting is None or setting.value not in SENSITIVE_POLICIES:
        return "allowed"
    return setting.value


def set_sensitive_policy(session: Session, policy: str) -> SensitivePolicy:
    if policy not in SENSITIVE_POLICIES:
        choices = ", ".join(SENSITIVE_POLICIES)
        raise BadRequest(f"unknown policy {policy!r}; choose one of {choices}")
    setting = session.get(ServerSetting, SENSITIVE_ANSWERS)
    if setting is None:
        session.add(ServerSetting(key=SENSITIVE_ANSWERS, value=policy))
    else:
        setting.value, setting.changed_at = policy, utc_now()
    return policy


RETENTION_YEARS = "retention_years"
RETENTION_OFF = "off"
MAX_RETENTION_YEARS = 100


def retention_years(session: Session) -> int | None:
    """How many years activity records are kept (None: for ever, the default)."""
    setting = session.get(ServerSetting, RETENTION_YEARS)
    if setting is None or not (setting.value.isascii() and setting.value.isdigit()):
        return None
    years = int(setting.value)
    return years if 1 <= years <= MAX_RETENTION_YEARS else None


def parse_retention_years(text: str) -> int | None:
    """A retention as an admin types it: a whole number of years, or "off" (None)."""
    if text.strip().lower() == RETENTION_OFF:
        return None
    cleaned = text.strip()
    digits = cleaned.isascii() and cleaned.isdigit() and len(cleaned) <= 3
    if not (digits and 1 <= int(cleaned) <= MAX_RETENTION_YEARS):
        raise BadRequest(
            f"retention-years takes a whole number of years from 1 to {MAX_RETENTION_YEARS}, "
            f"or {RETENTION_OFF}; not {text!r}"
        )
    return int(cleaned)


def set_retention_years(session: Session, years: int | None) -> None:
    """Keeps activity records `years` years (None: for ever). The deletions themselves are
    server.retention's."""
    value = RETENTION_OFF if years is None else str(years)
    setting = session.get(ServerSetting, RETENTION_YEARS)
    if setting is None:
        session.add(ServerSetting(key=RETENTION_YEARS, value=value))
    else:
        setting.value, setting.changed_at = value, utc_now()
