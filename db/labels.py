"""Names of kinds of records and of their fields as a rep reads them, not as the code
spells them: 'decided_by' is 'Decided by', 'visit_note' is 'Visit note'."""

from __future__ import annotations


def field_label(field: str) -> str:
    """'decided_by' is 'Decided by'; 'account_id' is 'Account'."""
    words = field.removesuffix("_id").replace("_", " ")
    return words[:1].upper() + words[1:]


def entity_label(entity: str) -> str:
    """'visit_note' is 'Visit note'."""
    return field_label(entity)


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 follow-up', '3 follow-ups', '2 matches' (with `many`)."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"
