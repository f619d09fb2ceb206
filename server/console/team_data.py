"""The sales managers' figures: per rep, and the ladder of the territories a manager is given."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, func, select
from sqlalchemy.orm import Session

from server.models import Device, Record, Territory, User
from server.roles import REP
from sync.enums import DealRole, LadderRung, LeadStatus
from sync.profile_definition import ProfileDefinition, load_definition

# Key contacts are those who decide, pay or push the deal (the app's KEY_DEAL_ROLES; the
# server may not import the app's db/ package, so the list is here too, and a test holds
# the two to each other).
KEY_DEAL_ROLES = (DealRole.DECISION_MAKER, DealRole.ECONOMIC_BUYER, DealRole.CHAMPION)
VISIT_DAYS = 30  # the window "visits logged" counts
# Answers that hold nothing, as the JSON text of the value: a cleared answer is one of these.
_EMPTY_VALUES = ("null", '""', "[]")
_CHUNK = 500  # ids per IN (...) list


@dataclass(frozen=True, slots=True)
class Scope:
    """The territories whose figures a console user may read; None: every territory."""

    territories: frozenset[str] | None

    def allows(self, territory: str) -> bool:
        return self.territories is None or territory in self.territories

    def where(self, column: Any) -> ColumnElement[bool]:
        """A filter of `column` (a territory name) to this scope."""
        if self.territories is None:
            return column.is_not(None)  # type: ignore[no-any-return]
        return column.in_(sorted(self.territories))  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class RepFigures:
    """One rep's row of the team page, over the rep's territories within the viewer's scope."""

    rep: str
    disabled: bool
    territories: tuple[str, ...]
    key_contacts: int
    key_profiled: int  # key contacts with at least one answer
    key_answered: int  # their answers to the definition's questions, summed
    questions: int
    visits: int  # visit notes they wrote, of visits in the last VISIT_DAYS days
    overdue: int  # open follow-ups past their due day
    leads_waiting: int  # leads neither accepted nor rejected yet
    last_sync: datetime | None  # their devices' last contact with the server

    @property
    def completeness(self) -> float:
        """Average share of the profile answered per key contact, 0.0 to 1.0."""
        if not (self.key_contacts and self.questions):
            return 0.0
        return self.key_answered / (self.key_contacts * self.questions)


@dataclass(frozen=True, slots=True)
class RungFigures:
    """One rung of the ladder: live accounts on it, and this quarter's moves onto it."""

    rung: LadderRung
    accounts: int
    moved_up: int  # moves onto this rung from a lower one
    moved_down: int  # moves onto this rung from a higher one


@dataclass(frozen=True, slots=True)
class TeamFigures:
    """Everything the team page shows."""

    reps: tuple[RepFigures, ...]
    ladder: tuple[RungFigures, ...]
    quarter_start: date
    visits_since: date

    @property
    def moved_up(self) -> int:
        return sum(r.moved_up for r in self.ladder)

    @property
    def moved_down(self) -> int:
        return sum(r.moved_down for r in self.ladder)


def quarter_start(day: date) -> date:
    """The first day of the calendar quarter `day` is in."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def team_figures(
    session: Session,
    scope: Scope,
    now: datetime,
    definition: ProfileDefinition | None = None,
) -> TeamFigures:
    """The team page's figures as of `now` (UTC): every rep with a territory in `scope`
    (all reps when the scope is every territory), each counted over those territories only."""
    today = now.astimezone(UTC).date()
    visits_since = today - timedelta(days=VISIT_DAYS)
    reps = _reps(session, scope)
    territories = sorted({t for _, _, names in reps for t in names})
    per_territory = _TerritoryCounts(session, territories, today, definition or load_definition())
    visits = _visits(session, territories, visits_since)
    last_sync = _last_sync(session)
    rows = []
    for name, disabled, names in reps:
        rows.append(
            RepFigures(
                rep=name,
                disabled=disabled,
                territories=names,
                key_contacts=per_territory.total(per_territory.key_contacts, names),
                key_profiled=per_territory.total(per_territory.key_profiled, names),
                key_answered=per_territory.total(per_territory.key_answered, names),
                questions=per_territory.questions,
                visits=sum(visits[(t, name)] for t in names),
                overdue=per_territory.total(per_territory.overdue, names),
                leads_waiting=per_territory.total(per_territory.leads_waiting, names),
                last_sync=last_sync.get(name),
            )
        )
    return TeamFigures(
        reps=tuple(rows),
        ladder=_ladder(session, scope, quarter_start(today)),
        quarter_start=quarter_start(today),
        visits_since=visits_since,
    )


def _reps(session: Session, scope: Scope) -> list[tuple[str, bool, tuple[str, ...]]]:
    """(name, disabled, territories in scope) of each rep the scope shows, by name."""
    users = session.scalars(select(User).where(User.role == REP).order_by(User.name)).all()
    reps = []
    for user in users:
        names = tuple(sorted(t.name for t in user.territories if scope.allows(t.name)))
        if names or scope.territories is None:
            reps.append((user.name, user.disabled, names))
    return reps


def _live(entity: str, territories: Iterable[str]) -> Any:
    """Live records of `entity` in `territories`, as a WHERE clause."""
    return (
        Record.entity == entity,
        Record.deleted_at.is_(None),
        Record.territory.in_(list(territories)),
    )


class _TerritoryCounts:
    """Per territory: key contacts and their profiles, overdue follow-ups, waiting leads.

    A record lies in exactly one territory, so a rep's figure is the sum over theirs."""

    def __init__(
        self, session: Session, territories: list[str], today: date, definition: ProfileDefinition
    ) -> None:
        counted = sorted(q.id for q in definition.questions)
        self.questions = len(counted)
        self.key_contacts: Counter[str] = Counter()
        self.key_profiled: Counter[str] = Counter()
        self.key_answered: Counter[str] = Counter()
        self.overdue: Counter[str] = Counter()
        self.leads_waiting: Counter[str] = Counter()
        if not territories:
            return
        key_roles = [role.value for role in KEY_DEAL_ROLES]
        key_contacts: dict[str, str] = {}  # contact id -> territory
        for record_id, territory in session.execute(
            select(Record.id, Record.territory).where(
                *_live("contact", territories),
                Record.data["deal_role"].as_string().in_(key_roles),
            )
        ):
            key_contacts[str(record_id)] = territory
            self.key_contacts[territory] += 1
        value_text = cast(Record.data["value"], Text)
        # Grouped by the label: PostgreSQL binds each copy of the expression apart, and
        # would not see the select's and the GROUP BY's as one.
        contact = Record.data["contact_id"].as_string().label("contact")
        answers = session.execute(
            select(contact, func.count())
            .where(
                *_live("profile_answer", territories),
                Record.data["question_id"].as_string().in_(counted),
                value_text.is_not(None),
                value_text.not_in(_EMPTY_VALUES),
            )
            .group_by(contact)
        )
        for contact_id, answered in answers:
            held_in = key_contacts.get(str(contact_id))
            if held_in is not None:
                self.key_profiled[held_in] += 1
                self.key_answered[held_in] += int(answered)
        due = Record.data["due_date"].as_string()
        done = Record.data["done"].as_boolean()
        self.overdue.update(
            dict(
                session.execute(
                    select(Record.territory, func.count())
                    .where(
                        *_live("task", territories),
                        due < today.isoformat(),
                        func.coalesce(done, False).is_(False),
                    )
                    .group_by(Record.territory)
                ).all()
            )
        )
        self.leads_waiting.update(
            dict(
                session.execute(
                    select(Record.territory, func.count())
                    .where(
                        *_live("lead", territories),
                        Record.data["status"].as_string() == LeadStatus.NEW.value,
                    )
                    .group_by(Record.territory)
                ).all()
            )
        )

    @staticmethod
    def total(counts: Mapping[str, int], territories: Iterable[str]) -> int:
        return sum(counts.get(t, 0) for t in territories)


def _visits(session: Session, territories: list[str], since: date) -> Counter[tuple[str, str]]:
    """Visit notes per (territory, author) of visits on or after `since`: a visit is dated
    by its check-in, else by its meeting's start, else by when its note reached the server."""
    counts: Counter[tuple[str, str]] = Counter()
    if not territories:
        return counts
    start = datetime.combine(since, time(), UTC)
    # A note reaches the server after its visit: older writes are older visits.
    notes = session.execute(
        select(
            Record.territory,
            Record.data["author"].as_string(),
            Record.data["check_in_at"].as_string(),
            Record.data["meeting_id"].as_string(),
            Record.updated_at,
        ).where(*_live("visit_note", territories), Record.updated_at >= start)
    ).all()
    meetings = _meeting_starts(session, {m for _, _, c, m, _ in notes if m and not c})
    for territory, author, check_in, meeting_id, received in notes:
        if not author:
            continue
        when = _moment(check_in) or meetings.get(meeting_id or "") or received
        if when >= start:
            counts[(territory, author)] += 1
    return counts


def _meeting_starts(session: Session, ids: set[str]) -> dict[str, datetime]:
    starts: dict[str, datetime] = {}
    wanted = sorted(_uuids(ids))
    for first in range(0, len(wanted), _CHUNK):
        for record_id, starts_at in session.execute(
            select(Record.id, Record.data["starts_at"].as_string()).where(
                Record.entity == "meeting", Record.id.in_(wanted[first : first + _CHUNK])
            )
        ):
            moment = _moment(starts_at)
            if moment is not None:
                starts[str(record_id)] = moment
    return starts


def _uuids(texts: Iterable[str]) -> set[uuid.UUID]:
    found = set()
    for text in texts:
        try:
            found.add(uuid.UUID(text))
        except ValueError:
            continue
    return found


def _moment(text: str | None) -> datetime | None:
    """A stored time (ISO, with its offset) as an aware datetime; None if there is none."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _last_sync(session: Session) -> dict[str, datetime]:
    """Each user's devices' latest contact with the server."""
    rows = session.execute(
        select(User.name, func.max(Device.last_seen_at))
        .join(Device, Device.user_id == User.id)
        .group_by(User.name)
    )
    return {name: _aware(seen) for name, seen in rows if seen is not None}


def _aware(value: Any) -> datetime:
    # max() over a UTC column comes back as the driver gives it (text on SQLite).
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _ladder(session: Session, scope: Scope, since: date) -> tuple[RungFigures, ...]:
    """Live accounts per rung, and the moves onto each rung made on or after `since`."""
    rung = Record.data["ladder_rung"].as_string().label("rung")
    accounts: Counter[str] = Counter()
    for name, count in session.execute(
        select(rung, func.count())
        .where(
            Record.entity == "account",
            Record.deleted_at.is_(None),
            scope.where(Record.territory),
        )
        .group_by(rung)
    ):
        # A row written before rungs were kept has none: the default, prospect.
        accounts[str(name or LadderRung.PROSPECT.value)] += int(count)
    start = datetime.combine(since, time(), UTC)
    changed_at = Record.data["changed_at"].as_string()
    up: Counter[str] = Counter()
    down: Counter[str] = Counter()
    # The text of a time with any offset sorts within a day of its UTC: a day early
    # finds them all, and each is then compared as a time.
    for raw_from, raw_to, raw_at in session.execute(
        select(
            Record.data["from_rung"].as_string(), Record.data["to_rung"].as_string(), changed_at
        ).where(
            Record.entity == "ladder_change",
            Record.deleted_at.is_(None),
            scope.where(Record.territory),
            changed_at >= (since - timedelta(days=1)).isoformat(),
        )
    ):
        when = _moment(raw_at)
        before, after = _rung(raw_from), _rung(raw_to)
        if when is None or when < start or before is None or after is None:
            continue  # an account's first rung is no move
        if after.step > before.step:
            up[after.value] += 1
        elif after.step < before.step:
            down[after.value] += 1
    return tuple(RungFigures(r, accounts[r.value], up[r.value], down[r.value]) for r in LadderRung)


def _rung(text: str | None) -> LadderRung | None:
    try:
        return LadderRung(text) if text else None
    except ValueError:
        return None


def territory_names(session: Session) -> frozenset[str]:
    """Every territory's name."""
    return frozenset(session.scalars(select(Territory.name)))
