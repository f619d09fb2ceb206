"""Applying pushed mutations: deduplicated, scoped, merged field by field, never lost.

A push runs in one transaction, each mutation in a savepoint (so a rejected one writes
nothing but its outcome) with a result of its own; one bad mutation never blocks the rest.
Policy on conflicts: when both sides changed the same field since the rep's base, the
server keeps its value and records a Conflict with both values, which syncs to the rep.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth import Caller
from server.errors import Forbidden
from server.models import AppliedMutation, Record
from server.records import Clock, ScopedRecords, is_erased
from server.settings import sensitive_policy
from server.store import ServerStore
from sync.enums import LeadStatus
from sync.profile_definition import load_definition
from sync.protocol import (
    CLIENT_ENTITIES,
    ENTITY_PARENT,
    REFERENCE_FIELDS,
    ConflictResolution,
    Mutation,
    MutationResult,
    PushRequest,
    PushResponse,
    SensitivePolicy,
)
from sync.row_schema import DERIVED_IDS, RowProblem, checked_fields, describe, row_problem

log = logging.getLogger(__name__)

# Fields the server owns; a mutation may not set them.
RESERVED_FIELDS = frozenset({"id", "version", "server_version", "created_at", "updated_at"})
NOT_IN_SCOPE = "not found in your territories"
CONFLICT_FIELDS = frozenset({"resolved", "resolution"})
REASON_CHARS = 500  # AppliedMutation.reason's size
# Rows whose id every device derives from what they are about (a contact's answer to one
# profile question): a create of one that exists is the same row, merged field by field.
DERIVED_ID_ENTITIES = frozenset({"profile_answer"})
OFF_DEVICES = "your company keeps sensitive profile answers off laptops; this answer was not stored"
# A record erased on request (server.gdpr) or by the retention policy stays erased: no edit,
# conflict or new row naming it brings its values back.
ERASED = "this record was erased (a data protection request or the retention policy); not kept"


class Rejected(Exception):
    """A mutation the server will not apply; the reason goes back to the rep."""


def apply_push(
    store: ServerStore, caller: Caller, request: PushRequest, clock: Clock
) -> PushResponse:
    if request.client_id != caller.client_id:
        raise Forbidden("this push names another device than the one signed in")
    results = []
    # One transaction for the batch (one commit, not one per mutation); each mutation in a
    # savepoint of its own, so a rejected one writes nothing but its outcome. A batch cut
    # off midway commits nothing, and the client's retry is applied as if new.
    with store.session() as session:
        records = ScopedRecords(session, caller.territories, clock)
        records.lock_for_writing()  # first: what it reads next, no one changes before commit
        policy = sensitive_policy(session)
        # Two queries for the batch instead of two per mutation; `loaded` keeps the records
        # in the session's identity map (it holds unchanged objects only weakly).
        applied = _applied_before(session, caller.client_id, request.mutations)
        loaded = records.preload((m.entity, m.id) for m in request.mutations)
        renumbering = False  # a number used again was met: the rest wait their turn
        for mutation in request.mutations:
            digest = mutation.digest()
            done = applied.get(mutation.mutation_id)
            if not renumbering and done is not None and done.digest not in (None, digest):
                log.warning(
                    "a device pushed mutation %s again with other content", mutation.mutation_id
                )
                # Everything after a reused number goes back with it, so the device sends
                # them again in their order: applied now, a later edit would land before
                # the one it follows (a note before its account, an old value last).
                renumbering = request.renumbers
                results.append(_reused(mutation, request.renumbers))
                continue
            if renumbering:
                results.append(_reused(mutation, renumbers=True))
                continue
            if done is not None:
                results.append(
                    MutationResult(
                        mutation_id=mutation.mutation_id,
                        status="duplicate",
                        reason=done.reason,
                        version=done.version,
                        original_status=done.status,  # type: ignore[arg-type]
                    )
                )
                continue
            try:
                with session.begin_nested():
                    status, version = _apply(records, caller, mutation, policy)
                reason = None
            except Rejected as exc:
                status, version, reason = "rejected", None, str(exc)[:REASON_CHARS]
            outcome = AppliedMutation(
                client_id=caller.client_id,
                mutation_id=mutation.mutation_id,
                status=status,
                reason=reason,
                version=version,
                applied_at=clock(),
                digest=digest,
            )
            session.add(outcome)
            applied[mutation.mutation_id] = outcome  # the same id again in this batch
            results.append(
                MutationResult(
                    mutation_id=mutation.mutation_id, status=status, reason=reason, version=version
                )
            )
        del loaded
        last = _last_applied(session, caller.client_id) if request.renumbers else None
    return PushResponse(results=results, last_applied=last)


def _reused(mutation: Mutation, renumbers: bool) -> MutationResult:
    """A number applied before for another change (a store restored from a backup, or one
    that lost its last writes, numbers its new edits again): never a "duplicate", which
    would drop the edit. A client that renumbers pushes it again under a new number; an
    older one is refused, so the edit waits in Needs attention instead of vanishing."""
    if renumbers:
        return MutationResult(mutation_id=mutation.mutation_id, status="reused")
    return MutationResult(
        mutation_id=mutation.mutation_id,
        status="rejected",
        reason="this change reused the number of an earlier one (was the app's data restored "
        "from a backup?): update the app and sync again to send it",
    )


def _last_applied(session: Session, client_id: uuid.UUID) -> int | None:
    stmt = select(func.max(AppliedMutation.mutation_id)).where(
        AppliedMutation.client_id == client_id
    )
    return session.execute(stmt).scalar_one_or_none()


def _applied_before(
    session: Session, client_id: uuid.UUID, mutations: list[Mutation]
) -> dict[int, AppliedMutation]:
    """The outcomes already recorded for these mutations of the device, by mutation id."""
    ids = sorted({m.mutation_id for m in mutations})
    found: dict[int, AppliedMutation] = {}
    for start in range(0, len(ids), 500):
        stmt = select(AppliedMutation).where(
            AppliedMutation.client_id == client_id,
            AppliedMutation.mutation_id.in_(ids[start : start + 500]),
        )
        found.update((outcome.mutation_id, outcome) for outcome in session.scalars(stmt))
    return found


def _apply(
    records: ScopedRecords, caller: Caller, m: Mutation, policy: SensitivePolicy
) -> tuple[Any, int | None]:
    if m.entity == "conflict":
        # The rep resolves a conflict; its contents stay as the server recorded them.
        if m.op != "set_fields" or not set(m.fields) <= CONFLICT_FIELDS:
            raise Rejected("a conflict can only be marked resolved")
        try:
            ConflictResolution.model_validate(m.fields)
        except ValidationError as exc:
            raise Rejected(describe(exc)) from None
    elif m.entity not in CLIENT_ENTITIES:
        raise Rejected(f"unknown kind of record {m.entity!r}")
    bad = sorted(set(m.fields) & RESERVED_FIELDS)
    if bad:
        raise Rejected(f"fields the server owns cannot be set: {', '.join(bad)}")
    if m.entity != "conflict" and m.op != "delete":
        m = _checked(records, m)
    if m.entity == "profile_answer":
        m = _sensitive_checked(records, m, policy)
    if m.op == "create":
        return _create(records, caller, m)
    record = records.get(m.entity, m.id)
    if record is None:
        raise Rejected(NOT_IN_SCOPE)
    if m.op == "delete":
        if record.deleted_at is None:
            record.deleted_at = records.clock()
            return "applied", records.save(record)
        return "applied", record.version
    if is_erased(record):
        raise Rejected(ERASED)
    return _merge(records, caller, record, _stamped(caller, m))


def _checked(records: ScopedRecords, m: Mutation) -> Mutation:
    """The mutation with its fields as the row schema allows them (sync.row_schema), the
    rows they name in the caller's scope, and a derived id that is its own; or Rejected,
    saying which field and why. Nothing is written before this passes."""
    try:
        fields = checked_fields(m.entity, m.fields, whole=m.op == "create")
    except RowProblem as exc:
        raise Rejected(str(exc)) from None
    for name, entity in REFERENCE_FIELDS.items():
        named = fields.get(name)
        if named is None:
            continue
        target = records.get(entity, uuid.UUID(named))
        if target is None:
            raise Rejected(f"{name}: no {entity.replace('_', ' ')} {named} {NOT_IN_SCOPE}")
        if is_erased(target):
            raise Rejected(f"{name}: {ERASED}")
    derive = DERIVED_IDS.get(m.entity)
    if derive is not None and m.op == "create" and derive(fields) != m.id:
        raise Rejected("this record's id does not match what it is about")
    return m.model_copy(update={"fields": fields})


def _sensitive_checked(records: ScopedRecords, m: Mutation, policy: SensitivePolicy) -> Mutation:
    """A profile answer marked sensitive if its question is (whatever the device says);
    refused if it would store a sensitive value against the company's policy."""
    record = records.get(m.entity, m.id)
    data = {**(record.data if record is not None else {}), **m.fields}
    question = load_definition().by_id.get(str(data.get("question_id")))
    sensitive = bool(data.get("sensitive")) or (question is not None and question.sensitive)
    if sensitive and policy == "off_devices" and data.get("value") is not None:
        raise Rejected(OFF_DEVICES)
    if sensitive and not m.fields.get("sensitive"):
        m = m.model_copy(update={"fields": {**m.fields, "sensitive": True}})
    return m


def _create(records: ScopedRecords, caller: Caller, m: Mutation) -> tuple[Any, int | None]:
    if records.exists_anywhere(m.entity, m.id):
        existing = records.get(m.entity, m.id) if m.entity in DERIVED_ID_ENTITIES else None
        if existing is None:
            raise Rejected("a record with this id already exists")
        if is_erased(existing):
            raise Rejected(ERASED)
        # Two devices answered the same question offline: no base, so a differing value
        # is a conflict the rep settles; the same value is simply applied.
        return _merge(records, caller, existing, m)
    m = _stamped(caller, m)
    territory = records.territory_for(m.entity, m.fields)
    if territory is None:
        raise Rejected(
            "its account is not in your territories"
            if ENTITY_PARENT.get(m.entity)
            else "the account's territory is not one of yours"
        )
    parent = records.parent_of(m.entity, m.fields)
    if parent is not None and parent.deleted_at is not None:
        # A delete never beats offline work: the note written about a since-deleted
        # account brings the account back, so nothing the rep wrote is orphaned.
        parent.deleted_at = None
        records.save(parent)
    record = records.create(m.entity, m.id, territory, m.fields)
    return "applied", record.version


# Who did it, as the server knows it (signed in), never as a device says: (entity, the
# field that marks the act or None for a create) -> the field that names the rep.
STAMPED_BY = {
    ("profile_change", None): "changed_by",
    ("contact_hold", None): "requested_by",
    ("ladder_change", None): "changed_by",
    ("lead", "status"): "decided_by",
}


def _stamped(caller: Caller, m: Mutation) -> Mutation:
    acts = [None] if m.op == "create" else list(m.fields)
    for act in acts:
        who = STAMPED_BY.get((m.entity, act))
        if who is not None:
            # A decision taken back (a lead new again) names no one: it clears who decided.
            undone = m.entity == "lead" and m.fields.get("status") == LeadStatus.NEW.value
            return m.model_copy(
                update={"fields": {**m.fields, who: None if undone else caller.username}}
            )
    return m


def _merge(
    records: ScopedRecords, caller: Caller, record: Record, m: Mutation
) -> tuple[Any, int | None]:
    if "territory" in m.fields and m.fields["territory"] not in records.territories:
        raise Rejected("an account can only move to a territory you have")
    # The row as the rep meant it must keep the rules over several fields (a merge keeps
    # some server values, which kept them already).
    problem = row_problem(record.entity, {**record.data, **m.fields})
    if problem is not None:
        raise Rejected(problem)
    if record.deleted_at is not None:
        # Edited offline while someone deleted it: keep the edit as a conflict to resolve.
        for name, value in m.fields.items():
            _conflict(records, caller, record, name, value, None, "edited_after_delete")
        return "applied_with_conflict", record.version
    data = dict(record.data)
    conflicted = False
    # Erasing a sensitive answer (consent withdrawn) wins over any edit: GDPR erasure.
    erasing = (
        record.entity == "profile_answer"
        and bool(data.get("sensitive") or m.fields.get("sensitive"))
        and "value" in m.fields
        and m.fields["value"] is None
    )
    for name, value in m.fields.items():
        current = data.get(name)
        base = m.base.get(name, current if m.base_version == record.version else _UNKNOWN)
        if current in (value, base) or (erasing and name == "value"):
            data[name] = value
            continue
        conflicted = True
        _conflict(records, caller, record, name, value, current, "both_changed")
        if m.op == "revise":
            data["needs_merge"] = True  # both texts survive: ours here, theirs in the conflict
    if data == record.data:
        return ("applied_with_conflict" if conflicted else "applied"), record.version

    moved = record.entity == "account" and data.get("territory") != record.data.get("territory")
    parent_field = ENTITY_PARENT.get(record.entity)
    if parent_field and data.get(parent_field) != record.data.get(parent_field):
        # Filed under another account (a contact moved): it lives in that one's territory.
        territory = records.territory_for(record.entity, data)
        if territory is None:
            raise Rejected("its new account is not in your territories")
        record.territory = territory
    record.data = data
    if moved:
        record.territory = str(data["territory"])
    version = records.save(record)
    if moved:
        records.move_account_rows(record.id, record.territory)
    return ("applied_with_conflict" if conflicted else "applied"), version


_UNKNOWN = object()


def _conflict(
    records: ScopedRecords,
    caller: Caller,
    record: Record,
    field: str,
    client_value: Any,
    server_value: Any,
    kind: str,
) -> None:
    records.create(
        "conflict",
        uuid.uuid4(),
        record.territory,
        {
            "entity": record.entity,
            "entity_id": str(record.id),
            "field": field,
            "client_value": client_value,
            "server_value": server_value,
            "kind": kind,
            "by_user": caller.username,
            "created_at": records.clock().isoformat(),
        },
    )
