"""Zendesk: a trigger's webhook (the JSON body the README gives) as our ticket events.

A ticket that is new (or whose update is its creation) is opened, a solved or closed one is
closed, any other change (its priority raised to urgent, say) an update; the priority is the
ticket's severity, so an urgent ticket puts STOP in the briefing. The account is found by
the organization's external id (the CRM id it was imported with), then by the requester's
e-mail (a contact), then by that e-mail's domain. One ticket update is one event, whichever
triggers sent it: its id is the ticket's number and the time of the update.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)

from server.connectors.common import (
    BadDelivery,
    Delivery,
    Moment,
    SignedRequest,
    Source,
    blank_is_none,
    checked,
    parsed,
    refs_of,
)
from server.connectors.verify import check_zendesk
from server.events import Email, Key
from sync.row_schema import INT64_MAX

NAME = "zendesk"
SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
CLOSED = ("solved", "closed")
SUBJECT_IN_TITLE = 200  # characters: the title holds 300


def _number(value: Any) -> Any:
    # {{ticket.id}} inside quotes is text: "57303".
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return value


Optional = BeforeValidator(blank_is_none)
# The lengths apply to a text given, not to the None an empty placeholder becomes.
Short = Annotated[str, Field(max_length=40)]
Name = Annotated[str, Field(max_length=300)]
Words = Annotated[str, Field(max_length=1000)]


class TicketHook(BaseModel):
    """The body a Zendesk trigger sends (README, "Connectors"): every field a placeholder."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    ticket_id: Annotated[int, BeforeValidator(_number), Field(ge=1, le=INT64_MAX, strict=True)]
    status: Annotated[str, Field(max_length=40)]
    priority: Annotated[Short | None, Optional] = None
    subject: Annotated[Words | None, Optional] = None
    requester_email: Annotated[Email | None, Optional] = None
    organization: Annotated[Name | None, Optional] = None
    organization_external_id: Annotated[Key | None, Optional] = None
    created_at: Annotated[Moment | None, Optional] = None
    updated_at: Moment

    @field_validator("status")
    @classmethod
    def _status(cls, value: str) -> str:
        status = value.lower().replace("-", "").replace(" ", "")  # "On-hold"
        if status == "onhold":
            status = "hold"
        if status not in STATUSES:
            raise ValueError(f"must be one of {', '.join(STATUSES)}, not {value!r}")
        return status

    @field_validator("priority")
    @classmethod
    def _priority(cls, value: str | None) -> str | None:
        if value is not None and value.lower() not in PRIORITIES:
            raise ValueError(f"must be one of {', '.join(PRIORITIES)} or empty, not {value!r}")
        return value.lower() if value is not None else None


class Zendesk(Source):
    name: ClassVar[str] = NAME
    title: ClassVar[str] = "Zendesk"

    def verify(self, request: SignedRequest, secret: str, now: datetime) -> None:
        check_zendesk(
            request.headers.get(SIGNATURE_HEADER),
            request.headers.get(TIMESTAMP_HEADER),
            request.body,
            secret,
            now,
        )

    def read(self, body: Any, request: SignedRequest, now: datetime) -> Delivery:
        hook = parsed(TicketHook, body)
        updated = hook.updated_at.astimezone(UTC)
        if hook.status in CLOSED:
            kind = "ticket_closed"
        elif hook.status == "new" or hook.created_at == hook.updated_at:
            kind = "ticket_opened"
        else:
            kind = "ticket_updated"
        details = {
            "ticket": hook.ticket_id,
            "severity": hook.priority,
            "subject": hook.subject,
            "status": hook.status,
            "organization": hook.organization,
        }
        email = hook.requester_email
        event_id = f"ticket-{hook.ticket_id}-{updated:%Y%m%dT%H%M%SZ}"
        event: dict[str, Any] = {
            "event_id": event_id,
            "type": kind,
            "occurred_at": updated.isoformat(),
            "details": {k: v for k, v in details.items() if v is not None},
        }
        if kind == "ticket_updated":
            # What changed is what reps need: "(urgent, open)", not the status alone.
            subject = f": {_cut(hook.subject, SUBJECT_IN_TITLE)}" if hook.subject else ""
            state = ", ".join(v for v in (hook.priority, hook.status) if v)
            event["title"] = f"Ticket #{hook.ticket_id} updated{subject} ({state})"
        if email:
            event["contact_email"] = email
        refs = refs_of(hook.organization_external_id, email)
        if not refs:
            raise BadDelivery(
                "requester_email or organization_external_id: give one, so the ticket "
                "finds its account"
            )
        checked(event, refs, now)
        return Delivery(event_id, kind, {"event": event, "refs": refs})


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"
