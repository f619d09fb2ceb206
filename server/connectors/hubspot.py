"""HubSpot: a workflow's "Send a webhook" (the JSON body the README gives) as marketing
activity, and a contact handed to sales as a lead for the rep.

The account is found by the company's HubSpot record id (accounts imported from a HubSpot
export carry it), then by the contact's e-mail, then by that e-mail's domain. HubSpot
retries a delivery for days: one without an `event_id` is known again by its body.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

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
from server.connectors.verify import check_hubspot
from server.events import Email, Key, Text

NAME = "hubspot"
SIGNATURE_HEADER = "X-HubSpot-Signature-v3"
TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp"
# The workflow's event -> ours, and the detail that names what it was about.
EVENTS = {
    "email_opened": ("email_opened", "campaign"),
    "email_clicked": ("email_clicked", "campaign"),
    "form_submitted": ("form_fill", "form"),
    "webinar_attended": ("webinar_attended", "webinar"),
    "lead_handed_to_sales": ("lead_handed_over", "campaign"),
}


Blank = BeforeValidator(blank_is_none)  # a property the contact lacks renders as ""
CompanyId = Annotated[str, Field(pattern=r"^[0-9]{1,30}$")]  # HubSpot's record id


def _score(value: Any) -> Any:
    # {{contact.hubspotscore}} inside quotes is text: "72".
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return value


Score = Annotated[int, BeforeValidator(_score), Field(ge=0, le=100, strict=True)]


class WorkflowHook(BaseModel):
    """The body a HubSpot workflow sends (README, "Connectors")."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event: Annotated[str, Field(min_length=1, max_length=100)]
    email: Email
    campaign: Annotated[Text | None, Blank] = None
    event_id: Annotated[Key | None, Blank] = None
    occurred_at: Annotated[Moment | None, Blank] = None
    company_id: Annotated[CompanyId | None, Blank] = None
    url: Annotated[Text | None, Blank] = None
    form: Annotated[Text | None, Blank] = None
    webinar: Annotated[Text | None, Blank] = None
    score: Annotated[Score | None, Blank] = None


class HubSpot(Source):
    name: ClassVar[str] = NAME
    title: ClassVar[str] = "HubSpot"

    def verify(self, request: SignedRequest, secret: str, now: datetime) -> None:
        check_hubspot(
            request.headers.get(SIGNATURE_HEADER),
            request.headers.get(TIMESTAMP_HEADER),
            request.method,
            request.urls,
            request.body,
            secret,
            now,
        )

    def read(self, body: Any, request: SignedRequest, now: datetime) -> Delivery:
        hook = parsed(WorkflowHook, body)
        # Its own id, or the body's digest: a retry sends the same bytes.
        event_id = hook.event_id or "body-" + hashlib.sha256(request.body).hexdigest()[:40]
        if hook.event not in EVENTS:
            return Delivery(
                event_id,
                hook.event,
                None,
                ignored=f"Fieldbrief takes no {hook.event!r} event (only {', '.join(EVENTS)})",
            )
        kind, subject = EVENTS[hook.event]
        details: dict[str, Any] = {
            "campaign": hook.campaign,
            "url": hook.url,
            "form": hook.form,
            "webinar": hook.webinar,
            "score": hook.score if kind == "lead_handed_over" else None,
        }
        details[subject] = details[subject] or hook.campaign
        if not details[subject]:
            raise BadDelivery(f"{subject}: required for {hook.event}")
        occurred = hook.occurred_at or _sent_at(request) or now
        event = {
            "event_id": event_id,
            "type": kind,
            "occurred_at": occurred.astimezone(UTC).isoformat(),
            "contact_email": hook.email,
            "details": {k: v for k, v in details.items() if v is not None},
        }
        company = f"{NAME}:{hook.company_id}" if hook.company_id else None
        refs = refs_of(company, hook.email)
        checked(event, refs, now)
        return Delivery(event_id, hook.event, {"event": event, "refs": refs})


def _sent_at(request: SignedRequest) -> datetime | None:
    # Verified already: a whole number of milliseconds near the server's time.
    stamp = request.headers.get(TIMESTAMP_HEADER)
    return datetime.fromtimestamp(int(stamp) / 1000, UTC) if stamp else None
