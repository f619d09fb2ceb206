"""What other systems may send us: event types, their channel and details, and the checks.

One table, EVENT_TYPES, says for each event type which channel its activity belongs to,
which details it must carry (a pydantic model per kind of event) and how its title reads
when the sender gives none. The details keys are the ones the app's demo territory uses.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from server.errors import BadRequest
from sync.enums import Channel
from sync.row_schema import EARLIEST, LATEST, json_problem, no_nul

BATCH_EVENTS = 1000  # events per request at most
TITLE_CHARS = 300  # the app's Activity.title
DETAILS_CHARS = 20_000  # details as JSON at most: they travel to every laptop of the territory
FUTURE_SLACK = timedelta(days=1)  # clocks differ; planned sends may be later still


class BadEvent(ValueError):
    """An event that cannot be taken in; the message names the field, in plain words."""


# --- value types ------------------------------------------------------------------------


def _number(value: Any) -> Any:
    # JSON numbers only (a CSV's numeric columns are converted before): "12" stays refused.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    problem = json_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _whole(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or json_problem(value):
        raise ValueError("must be a whole number")
    return value


def _identifier(value: Any) -> Any:
    # Ticket and dispute numbers: 57303 from one system, "INC-0042" from another.
    if isinstance(value, int) and not isinstance(value, bool) and not json_problem(value):
        return value
    if isinstance(value, str) and 0 < len(value.strip()) <= 100:
        return value.strip()
    raise ValueError("must be a number or a text of 1 to 100 characters")


Number = Annotated[int | float, BeforeValidator(_number)]
Identifier = Annotated[int | str, BeforeValidator(_identifier)]
Text = Annotated[str, Field(min_length=1, max_length=1000)]
Currency = Annotated[
    str,
    BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
    Field(pattern=r"^[A-Z]{3}$"),
]
Severity = Annotated[
    Literal["low", "normal", "high", "urgent"],
    BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v),
]


def website_host(text: str) -> str | None:
    """The host a website or domain names, for comparing: no scheme, port, path or leading
    "www.", lower case. "https://www.Acme.example/about" -> "acme.example"."""
    text = text.strip()
    if not text:
        return None
    try:
        host = urlsplit(text if "://" in text else f"//{text}").hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    return host.removeprefix("www.") or None


def _printable(value: Any) -> Any:
    # Ids and references end up in text columns and messages: no tabs, newlines or NULs.
    if not isinstance(value, str):
        return value
    value = value.strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not contain control characters")
    return value


def _email(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = _printable(value).lower()
    local, at, domain = value.partition("@")
    if not (local and at and "." in domain) or any(c.isspace() for c in value):
        raise ValueError("must be an e-mail address")
    return value


def _domain(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    host = website_host(_printable(value))
    if host is None or "." not in host:
        raise ValueError("must be a domain such as acme.example")
    return host


Email = Annotated[str, BeforeValidator(_email), Field(max_length=320)]
Domain = Annotated[str, BeforeValidator(_domain), Field(max_length=253)]
Key = Annotated[str, BeforeValidator(_printable), Field(min_length=1, max_length=200)]

# --- details per kind of event ----------------------------------------------------------


class Details(BaseModel):
    """Details every event may carry: any extra keys pass through to the app as sent."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)


class WebinarDetails(Details):
    webinar: Text
    campaign: Text | None = None
    minutes: Number | None = None


class EmailDetails(Details):
    campaign: Text
    url: Text | None = None


class PageVisitDetails(Details):
    url: Text
    pages_viewed: Number | None = None
    seconds: Number | None = None


class DownloadDetails(Details):
    asset: Text
    campaign: Text | None = None


class FormDetails(Details):
    form: Text
    url: Text | None = None


class CampaignDetails(Details):
    campaign: Text


class NurtureDetails(Details):
    campaign: Text | None = None


class TicketDetails(Details):
    ticket: Identifier
    severity: Severity | None = None
    subject: Text | None = None
    status: Text | None = None
    resolution_hours: Number | None = None


class DisputeDetails(Details):
    dispute: Identifier
    invoice: Text | None = None
    amount: Number | None = None
    currency: Currency | None = None
    reason: Text | None = None
    status: Text | None = None
    credit_amount: Number | None = None


class NpsDetails(Details):
    score: Annotated[int, BeforeValidator(_whole), Field(ge=0, le=10)]
    comment: Text | None = None
    survey: Text | None = None


class CsatDetails(NpsDetails):
    score: Annotated[int, BeforeValidator(_whole), Field(ge=1, le=5)]


class InvoiceDetails(Details):
    invoice: Text
    amount: Number | None = None
    currency: Currency | None = None
    due_date: date | None = None


class CreditHoldDetails(Details):
    reason: Text | None = None
    invoice: Text | None = None
    amount: Number | None = None
    currency: Currency | None = None


class LeadDetails(Details):
    campaign: Text
    score: Annotated[int, BeforeValidator(_whole), Field(ge=0, le=100)] | None = None


class OptOutDetails(Details):
    reason: Text | None = None


class SubscriptionDetails(Details):
    subscription: Identifier
    plan: Text | None = None
    reason: Text | None = None
    amount: Number | None = None
    currency: Currency | None = None


# --- the table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EventType:
    channel: Channel
    details: type[Details]
    # The title when the sender gives none: {key} is a detail ({money}: amount and currency);
    # a [bracketed part] is left out when a detail it names is missing.
    title: str
    may_be_planned: bool = False  # may lie further in the future than FUTURE_SLACK


_M, _S, _B = Channel.MARKETING, Channel.SERVICE, Channel.BILLING
EVENT_TYPES: dict[str, EventType] = {
    "webinar_registered": EventType(_M, WebinarDetails, "Registered for webinar: {webinar}"),
    "webinar_attended": EventType(_M, WebinarDetails, "Attended webinar: {webinar}"),
    "email_scheduled": EventType(_M, EmailDetails, "Email scheduled: {campaign}", True),
    "email_sent": EventType(_M, EmailDetails, "Sent email: {campaign}"),
    "email_opened": EventType(_M, EmailDetails, "Opened email: {campaign}"),
    "email_clicked": EventType(_M, EmailDetails, "Clicked[ {url}] in email: {campaign}"),
    "page_visit": EventType(_M, PageVisitDetails, "Visited {url}"),
    "content_download": EventType(_M, DownloadDetails, "Downloaded: {asset}"),
    "form_fill": EventType(_M, FormDetails, "Filled in form: {form}"),
    "campaign_response": EventType(_M, CampaignDetails, "Responded to campaign: {campaign}"),
    "nurture_paused": EventType(_M, NurtureDetails, "Nurture paused[: {campaign}]"),
    # Also a Lead for the rep to accept or reject (see server.ingest).
    "lead_handed_over": EventType(_M, LeadDetails, "Handed over as a lead: {campaign}"),
    "nurture_resumed": EventType(_M, NurtureDetails, "Nurture resumed[: {campaign}]"),
    "ticket_opened": EventType(
        _S, TicketDetails, "Ticket #{ticket} opened[: {subject}][ ({severity})]"
    ),
    "ticket_updated": EventType(
        _S, TicketDetails, "Ticket #{ticket} updated[: {subject}][ ({status})]"
    ),
    "ticket_closed": EventType(_S, TicketDetails, "Ticket #{ticket} closed[: {subject}]"),
    "dispute_opened": EventType(
        _S, DisputeDetails, "Dispute {dispute} opened[: invoice {invoice}][ ({reason})]"
    ),
    # News about an open dispute (evidence sent, under review): it stays open.
    "dispute_updated": EventType(_S, DisputeDetails, "Dispute {dispute} updated[: {status}]"),
    "dispute_resolved": EventType(
        _S, DisputeDetails, "Dispute {dispute} resolved[: invoice {invoice}]"
    ),
    "nps_response": EventType(_S, NpsDetails, "NPS response: {score}[ — {comment}]"),
    "csat_response": EventType(_S, CsatDetails, "CSAT response: {score}[ — {comment}]"),
    "invoice_issued": EventType(_B, InvoiceDetails, "Invoice {invoice} issued[: {money}]"),
    "invoice_paid": EventType(_B, InvoiceDetails, "Invoice {invoice} paid[: {money}]"),
    "invoice_overdue": EventType(_B, InvoiceDetails, "Invoice {invoice} overdue[: {money}]"),
    "credit_hold": EventType(_B, CreditHoldDetails, "Credit hold[: {reason}]"),
    "credit_released": EventType(_B, CreditHoldDetails, "Credit hold lifted[: {reason}]"),
    # The customer stopped paying for a subscription: churn.
    "subscription_cancelled": EventType(
        _B, SubscriptionDetails, "Subscription cancelled[: {plan}][ ({reason})]"
    ),
    # A person (contact_email) or the whole account asked not to be contacted, or again may be.
    "contact_opt_out": EventType(_M, OptOutDetails, "Asked not to be contacted[: {reason}]"),
    "contact_opt_in": EventType(_M, OptOutDetails, "Agreed to be contacted again"),
}  # fmt: skip

_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")
_DETAIL = re.compile(r"\{(\w+)\}")


def render_title(template: str, details: Mapping[str, Any]) -> str:
    """An EventType's title with the event's details filled in, at most TITLE_CHARS long."""
    values = {k: str(v) for k, v in details.items() if v not in (None, "")}
    if details.get("amount") is not None:
        values["money"] = _money(details)

    def optional(part: re.Match[str]) -> str:
        names = _DETAIL.findall(part.group(1))
        return part.group(1) if all(name in values for name in names) else ""

    title = _DETAIL.sub(lambda m: values[m.group(1)], _OPTIONAL.sub(optional, template))
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"


def _money(d: Mapping[str, Any]) -> str:
    """ "1,200 EUR", "1,200.50" without a currency."""
    amount = d["amount"]
    shown = f"{int(amount):,}" if float(amount).is_integer() else f"{amount:,.2f}"
    return f"{shown} {d['currency']}" if d.get("currency") else shown


def _is_number(annotation: Any) -> bool:
    return annotation in (int, float) or any(_is_number(a) for a in get_args(annotation))


# Detail keys that hold numbers: a CSV cell in such a column that reads as one becomes one.
NUMBER_DETAILS = frozenset(
    name
    for kind in EVENT_TYPES.values()
    for name, field in kind.details.model_fields.items()
    if _is_number(field.annotation)
)

# --- the event ----------------------------------------------------------------------------

REFERENCES = ("account_id", "crm_id", "domain", "email")
ALSO_REFERENCES = 6  # references an event may add in `also`, at most


def _one_reference(model: BaseModel) -> None:
    given = [name for name in REFERENCES if getattr(model, name) is not None]
    if len(given) != 1:
        raise ValueError(
            "give exactly one account reference: account_id, crm_id, domain or email"
            + (f" (this event has {', '.join(given)})" if given else "")
        )


def _reference_of(model: BaseModel) -> tuple[str, str]:
    name = next(n for n in REFERENCES if getattr(model, n) is not None)
    return name, str(getattr(model, name))


class Reference(BaseModel):
    """Another way to name an event's account (one of REFERENCES), tried in turn when
    the event's own reference and those before it in `also` find no account."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    account_id: uuid.UUID | None = None
    crm_id: Key | None = None
    domain: Domain | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Reference:
        _one_reference(self)
        return self

    @property
    def reference(self) -> tuple[str, str]:
        return _reference_of(self)


class IngestEvent(BaseModel):
    """One event about a customer account, as another system sends it.

    The account is named by exactly one reference: our `account_id`, the `crm_id` it was
    imported with, its website `domain`, or the `email` of one of its contacts; `also`
    may list more, tried in order when that one finds no account (a webhook's customer
    by CRM id, then by e-mail, then by its domain)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    event_id: Key
    type: str
    occurred_at: AwareDatetime
    account_id: uuid.UUID | None = None
    crm_id: Key | None = None
    domain: Domain | None = None
    email: Email | None = None
    contact_email: Email | None = None
    title: (
        Annotated[str, Field(min_length=1, max_length=TITLE_CHARS), AfterValidator(no_nul)] | None
    ) = None
    details: dict[str, Any] = Field(default_factory=dict)
    also: list[Reference] = Field(default_factory=list, max_length=ALSO_REFERENCES)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in EVENT_TYPES:
            raise ValueError(f"unknown event type {value!r}")
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> IngestEvent:
        _one_reference(self)
        return self

    @property
    def reference(self) -> tuple[str, str]:
        """(kind, value) of the account reference, e.g. ("domain", "acme.example")."""
        return _reference_of(self)

    @property
    def references(self) -> list[tuple[str, str]]:
        """The account reference, then those of `also`, each once, in the order to try."""
        return list(dict.fromkeys([self.reference, *(r.reference for r in self.also)]))


@dataclass(frozen=True)
class ValidEvent:
    """An event that passed every check, with what its activity will carry."""

    event: IngestEvent
    channel: Channel
    title: str
    details: dict[str, Any]


def parse_event(raw: Any, now: datetime) -> ValidEvent:
    """Checks one event as sent; raises BadEvent naming the field that is wrong."""
    if not isinstance(raw, dict):
        raise BadEvent("an event must be a JSON object")
    try:
        event = IngestEvent.model_validate(raw)
    except ValidationError as exc:
        raise BadEvent(_problems(exc)) from None
    kind = EVENT_TYPES[event.type]
    # NaN (pydantic would make it a null), numbers past 64 bits, NUL, nesting.
    problem = json_problem(event.details)
    if problem:
        raise BadEvent(f"details: {problem}")
    if not EARLIEST <= event.occurred_at.astimezone(UTC).date() <= LATEST:
        raise BadEvent(f"occurred_at: must lie between {EARLIEST.year} and {LATEST.year}")
    try:
        details = kind.details.model_validate(event.details).model_dump(
            mode="json", exclude_none=True
        )
    except ValidationError as exc:
        raise BadEvent(_problems(exc, "details.", event.type)) from None
    if len(json.dumps(details, ensure_ascii=False)) > DETAILS_CHARS:
        raise BadEvent(f"details: at most {DETAILS_CHARS:,} characters of JSON")
    if event.occurred_at > now + FUTURE_SLACK and not kind.may_be_planned:
        raise BadEvent("occurred_at: more than a day in the future (only email_scheduled may be)")
    title = event.title or render_title(kind.title, details)
    return ValidEvent(event, kind.channel, title, details)


def event_id_of(raw: Any) -> str | None:
    """The event id as sent, if it is one, for the result of an event that was refused."""
    value = raw.get("event_id") if isinstance(raw, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def _problems(exc: ValidationError, prefix: str = "", event_type: str = "") -> str:
    problems = []
    for error in exc.errors():
        where = prefix + ".".join(str(p) for p in error["loc"])
        if error["type"] == "missing":
            message = f"required for {event_type}" if event_type else "required"
        elif error["type"] == "extra_forbidden":
            message = "not a field of an event (put it in details)"
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(dict.fromkeys(problems))


# --- CSV ----------------------------------------------------------------------------------

EVENT_COLUMNS = ("event_id", "type", "occurred_at", *REFERENCES, "contact_email", "title")
_INTEGER = re.compile(r"-?\d+")
_DECIMAL = re.compile(r"-?(\d+\.\d*|\.\d+)")


@dataclass(frozen=True)
class Incoming:
    """One event to take in: as sent in JSON, or made from a CSV row (`row`: its number,
    the header being row 1; `problem`: what is wrong with the row itself)."""

    raw: Any
    row: int | None = None
    problem: str | None = None


def read_events_csv(text: str) -> list[Incoming]:
    """Events from a CSV text: EVENT_COLUMNS, any other column a details key ("details."
    may prefix it); empty cells are left out, numbers in numeric detail columns become
    numbers. Raises BadRequest when the columns cannot make events."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise BadRequest("the CSV is empty; its first line names the columns")
    names = [h.strip().lower().replace(" ", "_").removeprefix("details.") for h in header]
    missing = [c for c in ("event_id", "type", "occurred_at") if c not in names]
    if missing:
        raise BadRequest(f"the CSV has no {' or '.join(missing)} column")
    if not set(REFERENCES) & set(names):
        raise BadRequest("the CSV has no account_id, crm_id, domain or email column")
    repeated = sorted({n for n in names if names.count(n) > 1 and n})
    if repeated:
        raise BadRequest(f"the CSV has more than one {' or '.join(repeated)} column")
    events = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue  # a blank line
        event: dict[str, Any] = {}
        details: dict[str, Any] = {}
        for name, cell in zip(names, cells, strict=False):
            cell = cell.strip()
            if not cell or not name:
                continue
            if name in EVENT_COLUMNS:
                event[name] = cell
            else:
                details[name] = _cell_number(cell) if name in NUMBER_DETAILS else cell
        if details:
            event["details"] = details
        problem = None
        if len(cells) > len(names):
            problem = f"{len(cells)} cells but {len(names)} columns (an unquoted comma?)"
        events.append(Incoming(event, number, problem))
    return events


def _cell_number(cell: str) -> int | float | str:
    if _INTEGER.fullmatch(cell):
        return int(cell)
    if _DECIMAL.fullmatch(cell):
        return float(cell)
    return cell  # left as text: the check of the details says what is wrong
