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
