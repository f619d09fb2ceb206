"""Customer profiles (Mackay 66): answers per contact, their history, consent, reminders.

Answers are `profile_answer` rows keyed by the definition's question ids; each change also
appends a `profile_change` row (the history). Both sync like every other row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from importlib import import_module
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Subquery,
    and_,
    case,
    column,
    func,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from db.changes import Changes
from db.dto import (
    ConsentRecord,
    ContactProfile,
    ProfileHistoryRow,
    ProfileReminder,
)
from db.edits import change_row, create_row
from db.errors import StoreUserError
from db.profiles.definition import load_definition
from db.profiles.tiers import (
    KEY_DEAL_ROLES,
    CompletenessSort,
    ProfileTier,
    TerritoryProfileRow,
    TierRule,
    counted,
    key,
)
from db.profiles.values import completeness, normalise_answer, recurring_dates
from db.store.local_store import Store
from db.store.models import (
    PROFILE_COUNT,
    PROFILE_DATE,
    PROFILE_TIER_TOTAL,
    Account,
    Contact,
    ProfileAnswer,
    ProfileChange,
    SyncState,
)
from db.store.types import utc_now
from sync.entities import answer_id
from sync.enums import DealRole
from sync.profile_definition import ProfileDefinition

# The consent to keep special-category answers, stored like an answer under a reserved id
# (definition ids start with a letter, so they can never take it).
CONSENT_ID = "_consent"
# sync_state keys: who is signed in (for the history) and the server's policy.
USERNAME = "username"
SENSITIVE_POLICY = "sensitive_policy"
SENSITIVE_OFF_DEVICES = "off_devices"  # the admin keeps sensitive answers off laptops
REMINDER_DAYS = 30
CONSENT_HOW_LIMIT = 200
# An answer that counts: live, and not cleared. The same terms, word for word, as the
# partial index ix_profile_answer_answered's, so SQLite counts from that index alone.
ANSWERED: tuple[ColumnElement[bool], ...] = (
    ProfileAnswer.value.is_not(None),
    ProfileAnswer.deleted_at.is_(None),
)


class ProfileError(StoreUserError):
    """A profile edit that cannot be made (no consent, company policy); plain words."""


def next_occurrence(day: dt.date, today: dt.date) -> dt.date:
    """The first anniversary of `day` on or after `today`; 29 February falls on the 28th
    in other years (a reminder a day early beats one a day late)."""
    for year in (today.year, today.year + 1):
        try:
            candidate = day.replace(year=year)
        except ValueError:  # 29 February in a common year
            candidate = dt.date(year, 2, 28)
        if candidate >= today:
            return candidate
    raise AssertionError("unreachable: next year's date is always after today")


def month_day_ranges(today: dt.date, days: int) -> list[tuple[int, int]]:
    """The MMDD ranges (inclusive) from `today` to `days` later: two across New Year, the
    whole year from 365 days. 29 February joins any range with the 28th, when it falls in
    a common year (next_occurrence); the exact days are settled after, in Python."""
    if days >= 365:
        return [(101, 1231)]
    end = today + dt.timedelta(days=days)
    low, high = today.month * 100 + today.day, end.month * 100 + end.day
    ranges = [(low, high)] if low <= high else [(low, 1231), (101, high)]
    if any(first <= 228 <= last for first, last in ranges):
        ranges.append((229, 229))
    return ranges


def _date_searches(today: dt.date, days: int, questions: list[str]) -> list[Select[Any]]:
    """The contact and MMDD of each indexed date within `days` from `today`, of live
    contacts: one range search of ix_profile_date_listed per range of month_day_ranges
    (an OR of ranges would read every live date through the index)."""
    dated = PROFILE_DATE.c
    ranges = month_day_ranges(today, days)
    # 29 February joins as a range of its own, which a range may hold already.
    ranges = [
        r for i, r in enumerate(ranges) if not any(a <= r[0] <= r[1] <= b for a, b in ranges[:i])
    ]
    return [
        select(dated.contact_id, dated.month_day).where(
            dated.listed == true(),
            dated.month_day.between(low, high),
            dated.question_id.in_(questions),
        )
        for low, high in ranges
    ]


def _live_dates(today: dt.date, days: int, questions: list[str]) -> Subquery:
    """_date_searches() as one table."""
    searches = _date_searches(today, days, questions)
    return (searches[0] if len(searches) == 1 else union_all(*searches)).subquery()


def _days_ahead(month_day: ColumnElement[int], today: dt.date) -> ColumnElement[int]:
    """An MMDD column as a key that sorts from `today` on, round the New Year."""
    return case((month_day >= today.month * 100 + today.day, month_day), else_=month_day + 1300)


class ProfileBook:
    """Reads and writes customer profiles in the local store. Call off the GUI thread."""

    def __init__(self, store: Store, definition: ProfileDefinition | None = None) -> None:
        self._store = store
        self.definition = definition or load_definition()
        self.tier_rule = TierRule.of(self.definition)
        self._counts_kept = _counts_kept(self.definition, self.tier_rule)

    # -- reading ---------------------------------------------------------------------------

    def profile(self, contact_id: uuid.UUID) -> ContactProfile | None:
        """A contact's profile (None if the contact is gone), sensitive answers included:
        the editor shows those only on demand."""
        with self._store.reading() as session:
            row = session.execute(
                select(Contact, Account.name)
                .join(Account, Account.id == Contact.account_id)
                .where(Contact.id == contact_id, Contact.deleted_at.is_(None))
            ).one_or_none()
            if row is None:
                return None
            contact, account_name = row
            answers = _answers(session, contact_id)
            consent = _consent(answers.pop(CONSENT_ID, None))
            return ContactProfile(
                contact_id=contact.id,
                account_id=contact.account_id,
                name=contact.full_name,
                title=contact.title,
                account_name=account_name,
                answers=answers,
                consent=consent,
                sensitive_allowed=_sensitive_allowed(session),
                completeness=completeness(self.definition, answers),
            )

    def history(self, contact_id: uuid.UUID, limit: int = 500) -> list[ProfileHistoryRow]:
        """Who changed which answer when, newest first."""
        with self._store.reading() as session:
            rows = session.scalars(
                select(ProfileChange)
                .where(ProfileChange.contact_id == contact_id, ProfileChange.deleted_at.is_(None))
                .order_by(ProfileChange.changed_at.desc(), ProfileChange.id)
                .limit(limit)
            )
            return [
                ProfileHistoryRow(
                    question_id=r.question_id,
                    label=self._label(r.question_id),
                    value=r.value,
                    changed_by=r.changed_by,
                    changed_at=r.changed_at,
                )
                for r in rows
            ]

    def coming_up(
        self, today: dt.date | None = None, days: int = REMINDER_DAYS, limit: int | None = None
    ) -> list[ProfileReminder]:
        """Birthdays and anniversaries in the profiles within `days` from `today`, soonest
        first; with `limit`, those of the `limit` contacts whose date comes soonest."""
        today = today or dt.date.today()
        # Twice the contacts asked for: one whose only date proves odd gives no reminder.
        found, _ = self._reminders(today, days, 0, None if limit is None else 2 * limit)
        if limit is not None:
            kept = set(list(dict.fromkeys(r.contact_id for r in found))[:limit])
            found = [r for r in found if r.contact_id in kept]
        return found

    def coming_up_page(
        self, offset: int, limit: int, today: dt.date | None = None, days: int = REMINDER_DAYS
    ) -> tuple[list[ProfileReminder], int]:
        """The reminders of the contacts `offset` to `offset + limit` in the order their
        soonest date comes (then by id, so pages never overlap), and how many contacts that
        page read: fewer than `limit` means there are no more. A contact whose dates all
        prove odd is read but gives no reminder."""
        if offset < 0 or limit < 0:
            raise ValueError(f"a page starts at 0 or later and holds 0 or more: {offset}, {limit}")
        return self._reminders(today or dt.date.today(), days, offset, limit)

    def _reminders(
        self, today: dt.date, days: int, offset: int, limit: int | None
    ) -> tuple[list[ProfileReminder], int]:
        """coming_up_page(), or (with no limit) every contact's from `offset` on."""
        recurring = self._recurring()
        if not recurring:
            return [], 0
        # The contacts with a date in the next `days` (from the indexed month and day: a
        # tenth of the dated answers for 30 days); their answers are then read and decoded
        # as before, which settles leap days and the odd stored value.
        dated = _live_dates(today, days, recurring).c
        candidates = (
            select(dated.contact_id)
            .group_by(dated.contact_id)
            .order_by(func.min(_days_ahead(dated.month_day, today)), dated.contact_id)
            .limit(-1 if limit is None else limit)
            .offset(offset)
        )
        with self._store.reading() as session:
            if limit is None:  # all of them: too many, it may be, to pass as parameters
                wanted: Any = candidates.scalar_subquery()
            else:
                wanted = list(session.scalars(candidates))
            rows = session.execute(
                select(
                    ProfileAnswer.contact_id,
                    ProfileAnswer.question_id,
                    ProfileAnswer.value,
                    Contact.first_name,
                    Contact.last_name,
                    Account.id,
                    Account.name,
                )
                .join(Contact, Contact.id == ProfileAnswer.contact_id)
                .join(Account, Account.id == Contact.account_id)
                .where(
                    ProfileAnswer.contact_id.in_(wanted),
                    ProfileAnswer.question_id.in_(recurring),
                    ProfileAnswer.value.is_not(None),
                    ProfileAnswer.deleted_at.is_(None),
                    Contact.deleted_at.is_(None),
                )
            ).all()
        answers: dict[uuid.UUID, dict[str, Any]] = {}
        names: dict[uuid.UUID, tuple[str, uuid.UUID, str]] = {}
        for contact_id, question_id, value, first, last, account_id, account_name in rows:
            answers.setdefault(contact_id, {})[question_id] = value
            names[contact_id] = (f"{first} {last}".strip(), account_id, account_name)
        found = []
        for contact_id, theirs in answers.items():
            contact_name, account_id, account_name = names[contact_id]
            for when in recurring_dates(self.definition, theirs):
                on = next_occurrence(when.date, today)
                if (on - today).days > days:
                    continue
                found.append(
                    ProfileReminder(
                        contact_id=contact_id,
                        account_id=account_id,
                        contact_name=contact_name,
                        account_name=account_name,
                        label=when.label,
                        kind=str(when.kind),
                        on=on,
                        days_away=(on - today).days,
                        years=on.year - when.date.year if when.date.year > 1900 else None,
                    )
                )
        found.sort(key=lambda r: (r.on, r.contact_name, r.label))
        return found, len(answers) if limit is None else len(wanted)

    def coming_up_total(self, today: dt.date | None = None, days: int = REMINDER_DAYS) -> int:
        """How many birthdays and anniversaries fall within `days` from `today`: counted on
        the month-and-day index alone (a 29 February may count where coming_up() settles it
        on the 28th or past the window)."""
        today = today or dt.date.today()
        recurring = self._recurring()
        if not recurring:
            return 0
        with self._store.reading() as session:
            counted = _live_dates(today, days, recurring)
            return session.execute(select(func.count()).select_from(counted)).scalar_one()

    def _recurring(self) -> list[str]:
        return [q.id for q in self.definition.questions if q.recurs is not None]

    def territory_completeness(self) -> list[TerritoryProfileRow]:
        """Every live contact with how much of their profile is filled in, how much of its
        key questions, and the tier that puts it in.

        The whole territory at once (seconds and hundreds of MB at 300,000 contacts): the
        Profiles screen pages through completeness_page() instead. Counted in SQL from the
        answers' partial index: no answer is read or decoded. Stored answers are
        normalised, so a row with a value is an answer (db.profiles.values.is_answered
        agrees).
        """
        counted_ids = [q.id for q in counted(self.definition)]
        key_ids = [q.id for q in key(self.definition)]
        rule = self.tier_rule
        with self._store.reading() as session:
            answered = (
                select(
                    ProfileAnswer.contact_id,
                    func.count().label("n"),
                    func.sum(case((ProfileAnswer.question_id.in_(key_ids), 1), else_=0)).label("k"),
                )
                .where(ProfileAnswer.question_id.in_(counted_ids), *ANSWERED)
                .group_by(ProfileAnswer.contact_id)
                .subquery()
            )
            rows = session.execute(
                select(
                    Contact.id,
                    Contact.first_name,
                    Contact.last_name,
                    Contact.title,
                    Contact.deal_role,
                    Account.name,
                    func.coalesce(answered.c.n, 0),
                    func.coalesce(answered.c.k, 0),
                )
                .join(Account, Account.id == Contact.account_id)
                .outerjoin(answered, answered.c.contact_id == Contact.id)
                .where(Contact.deleted_at.is_(None), Account.deleted_at.is_(None))
                .order_by(Account.name, Contact.last_name, Contact.id)
            )
            return _completeness_rows(rule, rows)

    def completeness_page(
        self,
        *,
        key_only: bool,
        sort: CompletenessSort = CompletenessSort.TIER,
        descending: bool = False,
        offset: int = 0,
        limit: int = 200,
    ) -> list[TerritoryProfileRow]:
        """`limit` live contacts from `offset` of the territory's profile list (only key
        contacts if `key_only`), sorted in SQL by `sort`.

        The tier and counts orders page through profile_count's indexes alone (the contact
        breaking ties, descending too) and read only the contacts returned; the account,
        contact and role orders break ties by account, last name and contact, ascending
        either way. No answer is read."""
        if offset < 0 or limit < 0:
            raise ValueError("offset and limit cannot be negative")
        counts = self._counts()
        c = counts.c
        order = _order(counts, sort, descending)
        listed: list[ColumnElement[bool]]
        if sort in _BY_COUNT:
            # The page's contacts first, from the order's index alone; then only they are
            # read. "IS NOT false" (the flags are never NULL) keeps SQLite off the flags'
            # index, whose range it would sort whole for each page.
            flags = [c.listed.is_not(False), *([c.key_contact.is_not(False)] if key_only else [])]
            page = (
                select(c.contact_id)
                .where(*flags)
                .order_by(*order)
                .offset(offset)
                .limit(limit)
                .scalar_subquery()
            )
            listed = [c.contact_id.in_(page)]
        else:  # the same contacts, told from their rows: each is read anyway
            listed = [Contact.deleted_at.is_(None), Account.deleted_at.is_(None)]
            if key_only:
                listed.append(Contact.deal_role.in_(sorted(KEY_DEAL_ROLES)))
        query = (
            select(
                Contact.id,
                Contact.first_name,
                Contact.last_name,
                Contact.title,
                Contact.deal_role,
                Account.name,
                c.answered,
                c.key_answered,
            )
            .select_from(counts)
            .join(Contact, Contact.id == c.contact_id)
            .join(Account, Account.id == Contact.account_id)
            .where(*listed)
            .order_by(*order)
        )
        if sort not in _BY_COUNT:
            query = query.offset(offset).limit(limit)
        if sort is CompletenessSort.ACCOUNT and counts is PROFILE_COUNT:
            query = _by_account(key_only, descending, offset, limit)
        rule = self.tier_rule
        with self._store.reading() as session:
            return _completeness_rows(rule, session.execute(query))

    def completeness_counts(self, *, key_only: bool) -> dict[ProfileTier, int]:
        """How many live contacts (key contacts if `key_only`) each tier holds."""
        tiers = list(ProfileTier)
        found = dict.fromkeys(tiers, 0)
        if self._counts_kept:  # kept by the store: eight rows
            total = PROFILE_TIER_TOTAL.c
            kept = select(total.tier_rank, total.listed)
            if key_only:
                kept = kept.where(total.key_contact.is_(True))
            with self._store.reading() as session:
                for rank, number in session.execute(kept):
                    found[tiers[rank]] += number
            return found
        c = self._counts().c
        # Key contacts and the others counted apart: each a range of ix_profile_count_listed
        # grouped in the index's order; together, 300,000 rows sorted again (0.1 to 0.2 s).
        queries = [
            select(c.tier_rank, func.count())
            .where(c.listed.is_(True), c.key_contact.is_(key_contact))
            .group_by(c.tier_rank)
            for key_contact in ((True,) if key_only else (True, False))
        ]
        with self._store.reading() as session:
            for query in queries:
                for rank, number in session.execute(query):
                    found[tiers[rank]] += number
        return found

    def _counts(self) -> Any:
        """profile_count, kept by the store for the packaged definition; for another (a
        test's, a newer file's), the same columns counted from the answers' index."""
        if self._counts_kept:
            return PROFILE_COUNT
        counted_ids = [q.id for q in counted(self.definition)]
        key_ids = [q.id for q in key(self.definition)]
        answered = (
            select(
                ProfileAnswer.contact_id,
                func.count().label("n"),
                func.sum(case((ProfileAnswer.question_id.in_(key_ids), 1), else_=0)).label("k"),
            )
            .where(ProfileAnswer.question_id.in_(counted_ids), *ANSWERED)
            .group_by(ProfileAnswer.contact_id)
            .subquery()
        )
        n, k = func.coalesce(answered.c.n, 0), func.coalesce(answered.c.k, 0)
        live = and_(Contact.deleted_at.is_(None), Account.deleted_at.is_(None))
        return (
            select(
                Contact.id.label("contact_id"),
                n.label("answered"),
                k.label("key_answered"),
                _tier_rank(self.tier_rule, n, k).label("tier_rank"),
                case((live, True), else_=False).label("listed"),
                case((Contact.deal_role.in_(sorted(KEY_DEAL_ROLES)), True), else_=False).label(
                    "key_contact"
                ),
            )
            .join(Account, Account.id == Contact.account_id)
            .outerjoin(answered, answered.c.contact_id == Contact.id)
            .subquery()
        )

    # -- writing ---------------------------------------------------------------------------

    def set_answer(self, contact_id: uuid.UUID, question_id: str, raw: object) -> Changes:
        """Stores an answer as the rep gave it (normalised to the question's type) and a
        history entry, with their outbox entries, in one transaction.

        Raises AnswerError for a value that does not fit the question and ProfileError for
        a sensitive question without recorded consent or against the company's policy.
        """
        question = self.definition.get(question_id)
        if question is None:
            raise ProfileError(f"the profile has no question {question_id!r}")
        value = normalise_answer(question, raw)
        with self._store.session() as session:
            contact = _live_contact(session, contact_id)
            if question.sensitive and value is not None:
                if not _sensitive_allowed(session):
                    raise ProfileError(
                        "your company keeps sensitive answers off laptops; "
                        "they cannot be stored here"
                    )
                if _consent(_answer_value(session, contact_id, CONSENT_ID)) is None:
                    raise ProfileError(
                        f"record {contact.full_name}'s consent before storing sensitive answers"
                    )
            if not _write_answer(session, contact, question_id, value, question.sensitive):
                return Changes()
            _log_change(session, contact, question_id, None if question.sensitive else value)
        return Changes.of("profile_answer", answer_id(contact_id, question_id))

    def record_consent(self, contact_id: uuid.UUID, given_on: dt.date, how: str) -> Changes:
        """Records the person's consent to keep special-category answers (GDPR art. 9)."""
        how = " ".join(how.split())
        if not how:
            raise ProfileError("say how the consent was given (for example: signed form)")
        if len(how) > CONSENT_HOW_LIMIT:
            raise ProfileError(
                f"keep how the consent was given under {CONSENT_HOW_LIMIT} characters"
            )
        if given_on > dt.date.today():
            raise ProfileError("the consent date cannot be in the future")
        value = {"given_on": given_on.isoformat(), "how": how}
        with self._store.session() as session:
            contact = _live_contact(session, contact_id)
            if _write_answer(session, contact, CONSENT_ID, value, sensitive=False):
                _log_change(session, contact, CONSENT_ID, value)
        return Changes.of("profile_answer", answer_id(contact_id, CONSENT_ID))

    def withdraw_consent(self, contact_id: uuid.UUID) -> Changes:
        """Withdraws consent and erases the contact's sensitive answers (everywhere, once
        synced)."""
        erased = [q.id for q in self.definition.questions if q.sensitive] + [CONSENT_ID]
        changed = []
        with self._store.session() as session:
            contact = _live_contact(session, contact_id)
            for question_id in erased:
                sensitive = question_id != CONSENT_ID
                if _write_answer(session, contact, question_id, None, sensitive):
                    _log_change(session, contact, question_id, None)
                    changed.append(answer_id(contact_id, question_id))
        return Changes.of("profile_answer", *changed) if changed else Changes()

    def _label(self, question_id: str) -> str:
        if question_id == CONSENT_ID:
            return "Consent to sensitive answers"
        question = self.definition.get(question_id)
        return question.label if question else f"{question_id} (not in this app's profile)"


def _counts_kept(definition: ProfileDefinition, rule: TierRule) -> bool:
    """Whether profile_count counts what `definition` counts (its migration's questions and
    thresholds)."""
    kept = import_module("db.store.migrations.versions.0016_profile_counts")
    return (
        [q.id for q in counted(definition)] == kept.COUNTED_IDS
        and [q.id for q in key(definition)] == kept.KEY_IDS
        and (rule.useful_key, rule.rich_key, rule.rich_all)
        == (kept.USEFUL_KEY, kept.RICH_KEY, kept.RICH_ALL)
    )


def _tier_rank(rule: TierRule, answered: Any, key_answered: Any) -> ColumnElement[int]:
    """TierRule.tier's rank (0 empty to 3 rich) as SQL."""
    return case(
        (answered <= 0, 0),
        (and_(key_answered >= rule.rich_key, answered >= rule.rich_all), 3),
        (key_answered >= rule.useful_key, 2),
        else_=1,
    )


# The orders profile_count's indexes give (ix_profile_count_tier, _key, _answered).
_BY_COUNT = {
    CompletenessSort.TIER: ("tier_rank", "key_answered", "answered", "contact_id"),
    CompletenessSort.KEY_ANSWERED: ("key_answered", "contact_id"),
    CompletenessSort.ANSWERED: ("answered", "contact_id"),
}


def _by_account(key_only: bool, descending: bool, offset: int, limit: int) -> Any:
    """The page by account, written out: SQLite's guess without statistics sorts every
    contact, when walking the accounts' name index and sorting each account's few contacts
    by name stops at the page (milliseconds, not a second, at 300,000 contacts).
    SQLAlchemy cannot say INDEXED BY or CROSS JOIN (which fixes the join's order)."""
    key_term = " AND p.key_contact" if key_only else ""
    way = "DESC" if descending else "ASC"
    sql = text(
        "SELECT c.id AS cid, c.first_name AS first, c.last_name AS last, c.title AS title,"
        " c.deal_role AS role, a.name AS aname, p.answered AS n, p.key_answered AS k"
        " FROM account AS a INDEXED BY ix_account_name"
        " CROSS JOIN contact AS c ON c.account_id = a.id"
        " JOIN profile_count AS p ON p.contact_id = c.id"
        f" WHERE p.listed{key_term}"
        f" ORDER BY a.name {way}, c.last_name, c.id LIMIT :limit OFFSET :offset"
    ).bindparams(limit=limit, offset=offset)
    return sql.columns(
        column("cid", Contact.id.type),
        column("first", Contact.first_name.type),
        column("last", Contact.last_name.type),
        column("title", Contact.title.type),
        column("role", Contact.deal_role.type),
        column("aname", Account.name.type),
        column("n", Integer),
        column("k", Integer),
    )


def _order(counts: Any, sort: CompletenessSort, descending: bool) -> list[ColumnElement[Any]]:
    """ORDER BY terms for `sort`: counts from profile_count's indexes, each direction
    whole; the names and role ascending within a descending first term."""
    if sort in _BY_COUNT:
        terms = [counts.c[name] for name in _BY_COUNT[sort]]
        return [term.desc() if descending else term.asc() for term in terms]
    ties: list[Any] = [Account.name, Contact.last_name, Contact.id]
    role = case(*((Contact.deal_role == r.value, r.label.casefold()) for r in DealRole), else_="")
    first = {
        CompletenessSort.ACCOUNT: Account.name,
        CompletenessSort.CONTACT: func.lower(
            func.trim(Contact.first_name + " " + Contact.last_name)
        ),
        CompletenessSort.ROLE: role,
    }[sort]
    return [first.desc() if descending else first.asc(), *ties]


def _answers(session: Session, contact_id: uuid.UUID) -> dict[str, Any]:
    rows = session.execute(
        select(ProfileAnswer.question_id, ProfileAnswer.value).where(
            ProfileAnswer.contact_id == contact_id,
            ProfileAnswer.value.is_not(None),
            ProfileAnswer.deleted_at.is_(None),
        )
    )
    return {question_id: value for question_id, value in rows}


def _answer_value(session: Session, contact_id: uuid.UUID, question_id: str) -> Any:
    row = session.get(ProfileAnswer, answer_id(contact_id, question_id))
    return None if row is None or row.deleted_at is not None else row.value


def _consent(value: object) -> ConsentRecord | None:
    if not isinstance(value, Mapping):
        return None
    try:
        given_on = dt.date.fromisoformat(str(value.get("given_on")))
    except ValueError:
        return None
    return ConsentRecord(given_on=given_on, how=str(value.get("how") or ""))


def _sensitive_allowed(session: Session) -> bool:
    policy = session.get(SyncState, SENSITIVE_POLICY)
    return policy is None or policy.value != SENSITIVE_OFF_DEVICES


def _live_contact(session: Session, contact_id: uuid.UUID) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.deleted_at is not None:
        raise ProfileError("this contact was deleted; their profile can no longer be changed")
    return contact


def _write_answer(
    session: Session, contact: Contact, question_id: str, value: object, sensitive: bool
) -> bool:
    """Creates or changes the answer row; False when it already held `value`."""
    row_id = answer_id(contact.id, question_id)
    row = session.get(ProfileAnswer, row_id)
    if row is None:
        if value is None:
            return False
        fields = {
            "account_id": contact.account_id,
            "contact_id": contact.id,
            "question_id": question_id,
            "value": value,
            "sensitive": sensitive,
        }
        create_row(session, "profile_answer", fields, row_id=row_id)
        return True
    if row.deleted_at is not None:
        raise ProfileError("this answer was deleted on the server; sync and try again")
    return change_row(session, "profile_answer", row_id, {"value": value, "sensitive": sensitive})


def _log_change(session: Session, contact: Contact, question_id: str, value: object) -> None:
    user = session.get(SyncState, USERNAME)
    create_row(
        session,
        "profile_change",
        {
            "account_id": contact.account_id,
            "contact_id": contact.id,
            "question_id": question_id,
            "value": value,
            "changed_by": user.value if user else None,
            "changed_at": utc_now(),
        },
    )


def _completeness_rows(rule: TierRule, rows: Iterable[Any]) -> list[TerritoryProfileRow]:
    """Rows of (contact id, first, last, title, role, account name, answered, key answered)
    as the Profiles list shows them, each with its tier."""
    return [
        TerritoryProfileRow(
            contact_id=cid,
            contact_name=f"{first} {last}".strip(),
            title=title,
            deal_role=role,
            account_name=aname,
            answered=n,
            total=rule.total,
            key_answered=k,
            key_total=rule.key_total,
            tier=rule.tier(n, k),
        )
        for cid, first, last, title, role, aname, n, k in rows
    ]
