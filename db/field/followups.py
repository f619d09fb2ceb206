"""The rep's follow-ups: what they promised (from a note's checkboxes or added by hand), by
when, and whether it is done. Call off the GUI thread."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from db.changes import Changes
from db.edits import change_row, create_row
from db.errors import StoreUserError
from db.field.notes import with_ticked
from db.store.local_store import Store
from db.store.models import Account, Contact, Task, VisitNote
from db.store.types import utc_now

TITLE_LIMIT = 300


class FollowUpError(StoreUserError):
    """A follow-up that cannot be written; plain words."""


@dataclass(frozen=True, slots=True)
class FollowUpRow:
    id: uuid.UUID
    title: str
    due_date: date | None
    done: bool
    overdue: bool
    account_id: uuid.UUID
    account_name: str
    contact_name: str | None
    note_id: uuid.UUID | None  # the note it was promised in, if any


class FollowUps:
    """Lists and changes follow-ups in the local store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def mine(self, today: date | None = None, include_done: bool = False) -> list[FollowUpRow]:
        """Open follow-ups (and done ones if asked), soonest due first, undated last."""
        today = today or date.today()
        stmt = (
            select(Task, Account.name, Contact.first_name, Contact.last_name)
            .join(Account, Account.id == Task.account_id)
            .outerjoin(Contact, Contact.id == Task.contact_id)
            .where(Task.deleted_at.is_(None), Account.deleted_at.is_(None))
            .order_by(Task.done, Task.due_date.is_(None), Task.due_date, Task.created_at)
        )
        if not include_done:
            stmt = stmt.where(Task.done.is_(False))
        with self._store.reading() as session:
            return [
                FollowUpRow(
                    id=task.id,
                    title=task.title,
                    due_date=task.due_date,
                    done=task.done,
                    overdue=not task.done and task.due_date is not None and task.due_date < today,
                    account_id=task.account_id,
                    account_name=account_name,
                    contact_name=f"{first} {last}" if last else None,
                    note_id=task.note_id,
                )
                for task, account_name, first, last in session.execute(stmt)
            ]

    def contacts(self, account_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
        """The account's people, to name whom a follow-up is for."""
        with self._store.reading() as session:
            rows = session.execute(
                select(Contact.id, Contact.first_name, Contact.last_name)
                .where(Contact.account_id == account_id, Contact.deleted_at.is_(None))
                .order_by(Contact.last_name, Contact.first_name)
            )
            return [(contact_id, f"{first} {last}") for contact_id, first, last in rows]

    def add(
        self,
        account_id: uuid.UUID,
        title: str,
        due: date | None = None,
        contact_id: uuid.UUID | None = None,
    ) -> tuple[uuid.UUID, Changes]:
        """A follow-up added by hand (with its outbox entry)."""
        title = " ".join(title.split())
        if not title:
            raise FollowUpError("say what you will follow up on")
        if len(title) > TITLE_LIMIT:
            raise FollowUpError(f"a follow-up is at most {TITLE_LIMIT} characters")
        with self._store.session() as session:
            account = session.get(Account, account_id)
            if account is None or account.deleted_at is not None:
                raise FollowUpError("this account was deleted; pick another")
            if contact_id is not None:
                contact = session.get(Contact, contact_id)
                if contact is None or contact.account_id != account_id:
                    raise FollowUpError("that contact is not at this account")
            fields = {
                "account_id": account_id,
                "contact_id": contact_id,
                "title": title,
                "due_date": due,
                "done": False,
            }
            task_id = create_row(session, "task", fields)
        return task_id, Changes.of("task", task_id)

    def set_done(self, task_id: uuid.UUID, done: bool) -> Changes:
        """Ticks a follow-up off (or reopens it); a promise from a note is ticked there too."""
        fields = {"done": done, "done_at": utc_now() if done else None}
        with self._store.session() as session:
            task = session.get(Task, task_id)
            if task is None or task.done == done:
                return Changes()  # already so (or gone): nothing to write
            change_row(session, "task", task_id, fields)
            changes = Changes.of("task", task_id)
            note = session.get(VisitNote, task.note_id) if task and task.note_id else None
            if note is not None and note.deleted_at is None:
                body = with_ticked(note.body, task.title, done)
                if change_row(session, "visit_note", note.id, {"body": body}):
                    changes |= Changes.of("visit_note", note.id)
        return changes

    def set_due(self, task_id: uuid.UUID, due: date | None) -> Changes:
        with self._store.session() as session:
            changed = change_row(session, "task", task_id, {"due_date": due})
        return Changes.of("task", task_id) if changed else Changes()
