"""Stripe: its signature, its dispute, invoice and subscription events as ours, and how a
charge leads to the customer's account.

Disputes open, change and close (charge.dispute.*); invoices fail, go overdue, are written
off or paid (invoice.*); a deleted subscription is churn. An event is matched to an account
by the CRM id in the object's (or its customer's) metadata, then by the customer's e-mail
(a contact) or that e-mail's domain, then through the customer and charge ids earlier
events were matched with. A dispute names only its charge: invoice events tell whose
charges are whose, and where an admin gave a restricted API key an unknown charge is
looked up, off the request path (server.connectors.worker).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.connectors.common import (
    BadDelivery,
    Delivery,
    Ref,
    SignedRequest,
    Source,
    checked,
    email_or_none,
    first,
    major_units,
    parsed,
    problems,
    refs_of,
    with_references,
    words,
)
from server.connectors.verify import check_stripe
from server.events import Key
from server.models import OutsideKey, StripeCharge, utc_now
from server.store import ServerStore
from sync.row_schema import INT64_MAX

log = logging.getLogger(__name__)

NAME = "stripe"
SIGNATURE_HEADER = "Stripe-Signature"
DEFAULT_API_URL = "https://api.stripe.com"
CRM_METADATA = "crm_id"  # the metadata key a company keeps the account's CRM id under
DISPUTES = {
    "charge.dispute.created": "dispute_opened",
    "charge.dispute.updated": "dispute_updated",
    "charge.dispute.closed": "dispute_resolved",
}
INVOICES = {
    "invoice.payment_failed": "invoice_overdue",
    "invoice.overdue": "invoice_overdue",
    "invoice.marked_uncollectible": "credit_hold",
    "invoice.paid": "invoice_paid",
}
CHURN = "customer.subscription.deleted"
TAKEN = (*DISPUTES, *INVOICES, CHURN)  # the events to choose in Stripe's dashboard
# A dispute in one of these states is over, whichever event says so.
CLOSED_DISPUTE = frozenset({"won", "lost", "warning_closed", "prevented"})
LINK = "stripe:"  # "stripe:cus_…" names the account a Stripe id was matched with


# --- the payloads, as Stripe documents its objects (only the fields read here) ------------


def _id_of(value: Any) -> Any:
    # An expanded object in place of its id: its id.
    return value.get("id") if isinstance(value, dict) else value


StripeId = Annotated[str, BeforeValidator(_id_of), Field(pattern=r"^[A-Za-z0-9_]{1,100}$")]
Seconds = Annotated[int, Field(ge=0, le=7_258_118_400)]  # Unix time, before 2200
Minor = Annotated[int, Field(ge=0, le=INT64_MAX)]  # an amount in the currency's least unit
Code = Annotated[str, Field(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")]
Word = Annotated[str, Field(max_length=100)]


class _Object(BaseModel):
    # Stripe adds fields as its API grows: the ones not read here pass unchecked.
    model_config = ConfigDict(extra="ignore")


class _Data(_Object):
    object: dict[str, Any]


class StripeEvent(_Object):
    """The Event object every webhook delivers."""

    id: Key
    object: Literal["event"]
    type: Word
    created: Seconds
    data: _Data


class _EvidenceDetails(_Object):
    due_by: Seconds | None = None


class Dispute(_Object):
    id: StripeId
    charge: StripeId
    amount: Minor
    currency: Code
    reason: Word | None = None
    status: Word
    created: Seconds
    evidence_details: _EvidenceDetails | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Invoice(_Object):
    id: StripeId
    number: Key | None = None
    customer: StripeId | None = None
    customer_email: str | None = None  # checked leniently: an odd one is left out
    charge: StripeId | None = None
    currency: Code
    amount_due: Minor = 0
    amount_paid: Minor = 0
    amount_remaining: Minor = 0
    due_date: Seconds | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class _Cancellation(_Object):
    reason: Word | None = None
    feedback: Word | None = None


class _Price(_Object):
    nickname: Word | None = None


class _Item(_Object):
    price: _Price | None = None


class _Items(_Object):
    data: list[_Item] = Field(default_factory=list)


class Subscription(_Object):
    id: StripeId
    customer: StripeId
    cancellation_details: _Cancellation | None = None
    items: _Items | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


def _crm_id(metadata: dict[str, Any]) -> str | None:
    value = metadata.get(CRM_METADATA)
    return value.strip() if isinstance(value, str) and 0 < len(value.strip()) <= 200 else None


def _moment(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _day(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).date().isoformat()


def _object(model: type[_Object], event: StripeEvent) -> Any:
    try:
        return model.model_validate(event.data.object)
    except ValidationError as exc:
        raise BadDelivery(problems(exc, "data.object.")) from None


# --- the source -------------------------------------------------------------------------


class Stripe(Source):
    name: ClassVar[str] = NAME
    title: ClassVar[str] = "Stripe"

    def verify(self, request: SignedRequest, secret: str, now: datetime) -> None:
        check_stripe(request.headers.get(SIGNATURE_HEADER), request.body, secret, now)

    def read(self, body: Any, request: SignedRequest, now: datetime) -> Delivery:
        event = parsed(StripeEvent, body)
        if event.type in DISPUTES:
            payload = _dispute(event, _object(Dispute, event))
        elif event.type in INVOICES:
            payload = _invoice(event, _object(Invoice, event))
        elif event.type == CHURN:
            payload = _churn(event, _object(Subscription, event))
        else:
            return Delivery(
                event.id,
                event.type,
                None,
                ignored=f"Fieldbrief takes no {event.type} events (only {', '.join(TAKEN)})",
            )
        checked(payload["event"], payload["refs"], now)
        return Delivery(event.id, event.type, payload)


def _dispute(event: StripeEvent, dispute: Dispute) -> dict[str, Any]:
    kind = DISPUTES[event.type]
    if dispute.status in CLOSED_DISPUTE:
        kind = "dispute_resolved"  # an update that closes it (won, lost, inquiry closed)
    amount = major_units(dispute.amount, dispute.currency)
    details: dict[str, Any] = {
        "dispute": dispute.id,
        "charge": dispute.charge,
        "amount": amount,
        "currency": dispute.currency.upper(),
        "reason": words(dispute.reason),
        "status": words(dispute.status),
    }
    due = dispute.evidence_details.due_by if dispute.evidence_details else None
    if due is not None:
        details["evidence_due"] = _day(due)
    ours = {
        "event_id": event.id,
        "type": kind,
        "occurred_at": _moment(event.created),
        "title": dispute_title(kind, details),
        "details": {k: v for k, v in details.items() if v is not None},
    }
    refs = refs_of(_crm_id(dispute.metadata), None, ("crm_id", LINK + dispute.charge))
    context = {"charge": dispute.charge, "dispute": dispute.id, "created": dispute.created}
    return {"event": ours, "refs": refs, NAME: context}


def dispute_title(kind: str, details: dict[str, Any]) -> str:
    """ "Dispute opened: 1,250 EUR (fraudulent); evidence due 2026-12-07"."""
    money = f"{details['amount']:,} {details['currency']}"
    if kind == "dispute_opened":
        reason = f" ({details['reason']})" if details.get("reason") else ""
        due = f"; evidence due {details['evidence_due']}" if details.get("evidence_due") else ""
        about = f" on invoice {details['invoice']}" if details.get("invoice") else ""
        return f"Dispute opened{about}: {money}{reason}{due}"
    if kind == "dispute_updated":
        return f"Dispute updated: {details.get('status') or 'changed'} ({money})"
    return f"Dispute closed: {details.get('status') or 'closed'} ({money})"


def _invoice(event: StripeEvent, invoice: Invoice) -> dict[str, Any]:
    kind = INVOICES[event.type]
    number = invoice.number or invoice.id
    paid = event.type == "invoice.paid"
    owed = invoice.amount_remaining or invoice.amount_due
    amount = major_units(invoice.amount_paid if paid else owed, invoice.currency)
    money = f"{amount:,} {invoice.currency.upper()}"
    details: dict[str, Any] = {
        "invoice": number,
        "amount": amount,
        "currency": invoice.currency.upper(),
    }
    if invoice.due_date is not None:
        details["due_date"] = _day(invoice.due_date)
    if event.type == "invoice.payment_failed":
        details["status"] = "payment failed"
        title = f"Payment failed: invoice {number}, {money}"
    elif event.type == "invoice.marked_uncollectible":
        # Written off: billing takes no new order from them until it is paid after all.
        details["reason"] = f"invoice {number} uncollectible"
        title = f"Credit hold: invoice {number} ({money}) marked uncollectible"
    elif paid:
        title = f"Invoice {number} paid: {money}"
    else:
        title = f"Invoice {number} overdue: {money}"
    email = email_or_none(invoice.customer_email)
    ours: dict[str, Any] = {
        "event_id": event.id,
        "type": kind,
        "occurred_at": _moment(event.created),
        "title": title,
        "details": details,
    }
    if email:
        ours["contact_email"] = email
    links = [("crm_id", LINK + i) for i in (invoice.customer, invoice.charge) if i]
    refs = refs_of(_crm_id(invoice.metadata), email, *links)
    context = {"charge": invoice.charge, "customer": invoice.customer, "invoice": number}
    return {"event": ours, "refs": refs, NAME: context}


def _churn(event: StripeEvent, subscription: Subscription) -> dict[str, Any]:
    items = subscription.items.data if subscription.items else []
    plan = first(item.price.nickname if item.price else None for item in items)
    why = subscription.cancellation_details
    reason = words(first([why.feedback, why.reason])) if why else None
    details = {"subscription": subscription.id, "plan": plan, "reason": reason}
    ours = {
        "event_id": event.id,
        "type": "subscription_cancelled",
        "occurred_at": _moment(event.created),
        "details": {k: v for k, v in details.items() if v is not None},
    }
    refs = refs_of(_crm_id(subscription.metadata), None, ("crm_id", LINK + subscription.customer))
    return {"event": ours, "refs": refs, NAME: {"customer": subscription.customer}}


# --- the API, for what an event does not say ------------------------------------------------


class LookupUnavailable(Exception):
    """Stripe could not be asked now (the network, a 5xx, a 429): try again later."""


@dataclass(frozen=True)
class Customer:
    id: str | None
    email: str | None
    crm_id: str | None


class StripeApi:
    """The two lookups a restricted key (read access to charges and customers) allows."""

    def __init__(self, base_url: str, key: str, timeout: float = 10.0) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {key}"},
            timeout=timeout,
        )

    def close(self) -> None:
        self._client.close()

    def charge(self, charge_id: str) -> Customer | None:
        """Whose charge it is (None: Stripe knows no such charge, or no customer)."""
        found = self._get(f"/v1/charges/{charge_id}", {"expand[]": "customer"})
        if found is None:
            return None
        customer = found.get("customer")
        billing = found.get("billing_details")
        billed = billing.get("email") if isinstance(billing, dict) else None
        fallback = email_or_none(billed) or email_or_none(found.get("receipt_email"))
        if isinstance(customer, dict) and not customer.get("deleted"):
            made = _customer(customer)
            return Customer(made.id, made.email or fallback, made.crm_id)
        if isinstance(customer, str) and _plain_id(customer):
            known = self.customer(customer)
            return known or Customer(customer, fallback, None)
        return Customer(None, fallback, None) if fallback else None

    def customer(self, customer_id: str) -> Customer | None:
        found = self._get(f"/v1/customers/{customer_id}", {})
        if found is None or found.get("deleted"):
            return None
        return _customer(found)

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any] | None:
        try:
            response = self._client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise LookupUnavailable(f"Stripe did not answer ({type(exc).__name__})") from None
        if response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            # The key is wrong or may not read this: asking again will not help.
            log.warning("the Stripe API refused the connector's key (%d)", response.status_code)
            return None
        if response.status_code != 200:
            raise LookupUnavailable(f"Stripe answered {response.status_code}")
        try:
            found = response.json()
        except ValueError:
            raise LookupUnavailable("Stripe's answer was not JSON") from None
        return found if isinstance(found, dict) else None


def _plain_id(value: str) -> bool:
    return 0 < len(value) <= 100 and value.replace("_", "").isalnum() and value.isascii()


def _customer(found: dict[str, Any]) -> Customer:
    raw_id = found.get("id")
    metadata = found.get("metadata")
    return Customer(
        raw_id if isinstance(raw_id, str) and _plain_id(raw_id) else None,
        email_or_none(found.get("email")),
        _crm_id(metadata) if isinstance(metadata, dict) else None,
    )


# --- processing: what we know of charges and customers -----------------------------------


def _order(ref: Ref) -> int:
    kind, value = ref
    if kind == "crm_id":
        return 3 if value.startswith(LINK + "cus_") else 4 if value.startswith(LINK) else 0
    return {"email": 1, "domain": 2}.get(kind, 5)


class StripeLinks:
    """Before a Stripe delivery is taken in: what earlier events and lookups taught about
    its charge and customer. After: the ids that found an account are linked to it."""

    def __init__(self, store: ServerStore, api: StripeApi | None) -> None:
        self._store = store
        self._api = api
        self._down: str | None = None  # why Stripe could not be asked, once it could not

    def prepare(self, payload: dict[str, Any], lookups: bool = True) -> dict[str, Any]:
        """The delivery's event with every reference we have; raises LookupUnavailable
        when Stripe should be asked but cannot be now (`lookups=False`: do without)."""
        context: dict[str, Any] = payload.get(NAME) or {}
        event = dict(payload["event"])
        details = dict(event["details"])
        refs: list[Ref] = [(str(k), str(v)) for k, v in payload["refs"]]
        charge, customer = context.get("charge"), context.get("customer")
        with self._store.session() as session:
            known = session.get(StripeCharge, charge) if charge else None
            customer = customer or (known.customer_id if known else None)
            if known is not None and known.invoice and "invoice" not in details:
                details["invoice"] = known.invoice
            opened = known is not None and known.dispute_id == context.get("dispute")
            linked = customer is not None and _linked(session, customer)
        if event["type"] == "dispute_updated" and not opened:
            # Its opening never reached us (the connector is newer than the dispute): an
            # open dispute is opened here, dated when it was.
            event["type"] = "dispute_opened"
            event["occurred_at"] = _moment(int(context["created"]))
        has_own = any(kind in ("email", "crm_id") and not v.startswith(LINK) for kind, v in refs)
        if lookups and self._api is not None and not linked and not has_own:
            found = self._lookup(charge, customer)
            if found is not None:
                customer = customer or found.id
                links = [("crm_id", LINK + found.id)] if found.id else []
                refs += refs_of(found.crm_id, found.email, *links)
                if found.email and "contact_email" not in event:
                    event["contact_email"] = found.email
        if customer:
            refs.append(("crm_id", LINK + customer))
        self._remember(charge, customer, context, event["type"])
        if event["type"].startswith("dispute_"):
            event["title"] = dispute_title(event["type"], details)
        event["details"] = details
        ordered: list[Ref] = sorted(dict.fromkeys(refs), key=_order)
        return with_references(event, ordered)

    def _lookup(self, charge: str | None, customer: str | None) -> Customer | None:
        assert self._api is not None
        if self._down is not None:  # no use making each delivery of a batch wait for it
            raise LookupUnavailable(self._down)
        try:
            if charge and not customer:
                return self._api.charge(charge)
            return self._api.customer(customer) if customer else None
        except LookupUnavailable as exc:
            self._down = str(exc)
            raise

    def _remember(
        self, charge: str | None, customer: str | None, context: dict[str, Any], kind: str
    ) -> None:
        if not charge:
            return
        with self._store.session() as session:
            row = session.get(StripeCharge, charge)
            if row is None:
                row = StripeCharge(charge_id=charge, seen_at=utc_now())
                if not _added(session, row):
                    row = session.get(StripeCharge, charge)
                    assert row is not None
            row.customer_id = row.customer_id or customer
            row.invoice = context.get("invoice") or row.invoice
            if kind == "dispute_opened":
                row.dispute_id = context.get("dispute")

    def learn(self, payload: dict[str, Any], account_id: str) -> None:
        """The delivery found `account_id`: its customer and charge now name that account
        (the latest match wins: a customer moved to another account follows it)."""
        context: dict[str, Any] = payload.get(NAME) or {}
        with self._store.session() as session:
            charge = context.get("charge")
            known = session.get(StripeCharge, charge) if charge else None
            customer = context.get("customer") or (known.customer_id if known else None)
            for key in (customer, charge):
                if key:
                    _link(session, key, account_id)


def _linked(session: Session, stripe_id: str) -> bool:
    return session.get(OutsideKey, (NAME, stripe_id)) is not None


def _link(session: Session, stripe_id: str, account_id: str) -> None:
    record_id = uuid.UUID(account_id)
    row = session.get(OutsideKey, (NAME, stripe_id))
    if row is None:
        made = OutsideKey(system=NAME, key=stripe_id, entity="account", record_id=record_id)
        if _added(session, made):
            return
        row = session.get(OutsideKey, (NAME, stripe_id))
        assert row is not None
    row.record_id = record_id


def _added(session: Session, row: object) -> bool:
    """Inserts `row` unless another worker did a moment ago (False then)."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True
