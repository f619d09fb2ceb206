"""Customer profiles (Mackay 66): answers per contact, their history, consent, reminders.

Answers are `profile_answer` rows keyed by the definition's question ids; each change also
appends a `profile_change` row (the history). Both sync like every other row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
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
from db.profiles.tiers import TerritoryProfileRow, TierRule, counted, key
from db.profiles.values import completeness, normalise_answer, recurring_dates
from db.store.local_store import Store
from db.store.models import (
    PROFILE_DATE,
    Account,
    Contact,
    ProfileAnswer,
    ProfileChange,
    SyncState,
)
from db.store.types import utc_now
from sync.entities import answer_id
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


class ProfileBook:
    """Reads and writes customer profiles in the local store. Call off the GUI thread."""

    def __init__(self, store: Store, definition: ProfileDefinition | None = None) -> None:
        self._store = store
        self.definition = definition or load_definition()
        self.tier_rule = TierRule.of(self.definition)

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
        self, today: dt.date | None = None, days: int = REMINDER_DAYS
    ) -> list[ProfileReminder]:
        """Birthdays and anniversaries in the profiles within `days` from `today`, soonest
        first."""
        today = today or dt.date.today()
        recurring = [q.id for q in self.definition.questions if q.recurs is not None]
        if not recurring:
            return []
        # The contacts with a date in the next `days` (from the indexed month and day, a
        # few hundred rows of a big territory); their answers are then read and decoded
        # as before, which settles leap days and the odd stored value.
        dated = PROFILE_DATE.c
        soon = or_(
            *(dated.month_day.between(low, high) for low, high in month_day_ranges(today, days))
        )
        candidates = (
            select(dated.contact_id)
            .where(soon, dated.question_id.in_(recurring))
            .distinct()
            .scalar_subquery()
        )
        with self._store.reading() as session:
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
                    ProfileAnswer.contact_id.in_(candidates),
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
        return sorted(found, key=lambda r: (r.on, r.contact_name, r.label))

    def territory_completeness(self) -> list[TerritoryProfileRow]:
        """Every live contact with how much of their profile is filled in, how much of its
        key questions, and the tier that puts it in.

        Counted in SQL from the answers' partial index (a few hundred thousand contacts
        stay quick): no answer is read or decoded. Stored answers are normalised, so a row
        with a value is an answer (db.profiles.values.is_answered agrees).
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
