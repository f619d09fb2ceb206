"""What the Today page leads with besides the meetings: the follow-ups due, the new leads,
and whether the territory has anything in it yet (a first run before the first sync)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from db.field.leads import new_leads_counted
from db.store.local_store import Store
from db.store.models import Account, Task


@dataclass(frozen=True, slots=True)
class AgendaCounts:
    overdue: int  # open follow-ups due before today
    due_today: int
    new_leads: int  # handed over by marketing, not yet accepted or rejected
    empty: bool  # no account at all: nothing downloaded yet


class Agenda:
    """Counts for the top of Today, each one indexed query."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def counts(self, today: date | None = None) -> AgendaCounts:
        today = today or date.today()
        # As the Follow-ups page lists them: open, of an account still there.
        open_tasks = (
            select(func.count())
            .select_from(Task)
            .join(Account, Account.id == Task.account_id)
            .where(Task.deleted_at.is_(None), Task.done.is_(False), Account.deleted_at.is_(None))
        )
        with self._store.reading() as session:
            overdue = session.scalar(open_tasks.where(Task.due_date < today))
            due_today = session.scalar(open_tasks.where(Task.due_date == today))
            new_leads = session.scalar(new_leads_counted())  # as the Leads page counts them
            any_account = session.scalar(select(Account.id).limit(1))
        return AgendaCounts(
            overdue=int(overdue or 0),
            due_today=int(due_today or 0),
            new_leads=int(new_leads or 0),
            empty=any_account is None,
        )
