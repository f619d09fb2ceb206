"""What the connectors share: a request as signed, a delivery as stored, refusals in words,
references to the account, money in major units."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, TypeAdapter, ValidationError

from server.errors import BadRequest
from server.events import BadEvent, Domain, Email, parse_event
from sync.row_schema import EARLIEST, LATEST

# A reference to the account: (kind, value), kind one of server.events.REFERENCES.
Ref = tuple[str, str]


class BadDelivery(BadRequest):
    """A signed delivery we cannot take: 400, saying which field and why."""

    code = "bad_delivery"


@dataclass(frozen=True)
class SignedRequest:
    """A webhook request as its signature covers it."""

    method: str
    headers: Mapping[str, str]  # case-insensitive (Starlette's Headers)
    body: bytes
    urls: tuple[str, ...]  # the addresses it may have been sent to (HubSpot signs it)


@dataclass(frozen=True)
class Delivery:
    """What a delivery becomes: stored before it is answered, processed after.

    `payload`: {"event": our event without its account references, "refs": [[kind,
    value], ...] in the order to try, and what the source's processing needs besides};
    None when the delivery is `ignored` (why, in words)."""

    delivery_id: str
    kind: str
    payload: dict[str, Any] | None
    ignored: str | None = None


class Source:
    """One system that sends webhooks: how it signs, and what its deliveries mean."""

    name: ClassVar[str]  # "stripe": its hook's path and the events' source
    title: ClassVar[str]  # "Stripe"

    def verify(self, request: SignedRequest, secret: str, now: datetime) -> None:
        """Raises BadSignature unless `secret` signed the request within the tolerance."""
        raise NotImplementedError

    def read(self, body: Any, request: SignedRequest, now: datetime) -> Delivery:
        """The delivery a verified JSON body makes; BadDelivery when it cannot make one."""
        raise NotImplementedError


def _in_range(moment: datetime) -> datetime:
    # Checked before anything converts it: year 1 in a zone east of UTC has no UTC time.
    if not EARLIEST.year <= moment.year <= LATEST.year:
        raise ValueError(f"must lie between {EARLIEST.year} and {LATEST.year}")
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(_in_range)]  # a time with its zone


def blank_is_none(value: Any) -> Any:
    """A placeholder with nothing behind it (a ticket without an organization, a contact
    without a company) renders as "" (Zendesk's empty priority as "-"): no value."""
    if isinstance(value, str) and value.strip() in ("", "-"):
        return None
    return value


_EMAIL: TypeAdapter[str] = TypeAdapter(Email)
_DOMAIN: TypeAdapter[str] = TypeAdapter(Domain)


def email_or_none(value: object) -> str | None:
    """An e-mail address as our events take it (lower case), or None for anything else:
    a source's odd value leaves the reference out rather than the delivery refused."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return _EMAIL.validate_python(value)
    except ValidationError:
        return None


def domain_of(email: str | None) -> str | None:
    """The domain of an e-mail address, as a website domain reference."""
    if not email:
        return None
    try:
        return _DOMAIN.validate_python(email.rpartition("@")[2])
    except ValidationError:
        return None


def refs_of(crm_id: str | None, email: str | None, *more: Ref) -> list[Ref]:
    """A source's references in the order the issue asks: its CRM id, its e-mail (a
    contact), that e-mail's domain, then `more` (ids the connector linked to accounts)."""
    refs: list[Ref] = []
    if crm_id:
        refs.append(("crm_id", crm_id))
    if email:
        refs.append(("email", email))
        domain = domain_of(email)
        if domain:
            refs.append(("domain", domain))
    refs.extend(more)
    return list(dict.fromkeys(refs))


def with_references(event: Mapping[str, Any], refs: Sequence[Sequence[str]]) -> dict[str, Any]:
    """`event` naming its account by the first of `refs`, the others in `also`."""
    unique = list(dict.fromkeys((str(kind), str(value)) for kind, value in refs))
    if not unique:
        raise BadDelivery("the delivery names no customer we could find an account by")
    (kind, value), rest = unique[0], unique[1:]
    made = {**event, kind: value}
    if rest:
        made["also"] = [{k: v} for k, v in rest]
    return made


def checked(event: Mapping[str, Any], refs: Sequence[Sequence[str]], now: datetime) -> None:
    """Refuses (BadDelivery) the delivery whose event our own schema would reject: one
    schema at every door, and nothing is stored that could not be taken in."""
    try:
        parse_event(with_references(event, refs), now)
    except BadEvent as exc:
        raise BadDelivery(str(exc)) from None


_Body = TypeVar("_Body", bound=BaseModel)


def parsed(model: type[_Body], body: Any) -> _Body:
    """A delivery's JSON as the source's model; a 400 naming what is wrong otherwise."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise BadDelivery(problems(exc)) from None


def problems(exc: ValidationError, prefix: str = "") -> str:
    """A pydantic error in plain words: "data.object.charge: Field required"."""
    found = []
    for error in exc.errors():
        where = prefix + ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        found.append(f"{where}: {message}" if where else message)
    return "; ".join(dict.fromkeys(found))


# Currencies whose amounts Stripe gives in whole units, or in thousandths (its docs'
# "zero-decimal" and "three-decimal" currencies); all others in hundredths.
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND",
     "VUV", "XAF", "XOF", "XPF"}
)  # fmt: skip
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def major_units(amount: int, currency: str) -> int | float:
    """An amount in the currency's smallest unit as people read it: 123456 USD -> 1234.56."""
    code = currency.upper()
    scale = 1 if code in ZERO_DECIMAL else 1000 if code in THREE_DECIMAL else 100
    whole, part = divmod(amount, scale)
    return whole if part == 0 else amount / scale


def words(code: str | None) -> str | None:
    """A source's code as words: "product_not_received" -> "product not received"."""
    if not code:
        return None
    return code.replace("_", " ").strip() or None


def first(values: Iterable[str | None]) -> str | None:
    return next((v for v in values if v), None)
