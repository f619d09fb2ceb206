"""The store's vocabularies as ui/ imports them (ui/ takes no sync/ types but outcomes).

They are defined in sync.enums, which the server shares; db/ itself imports them from there.
"""

from __future__ import annotations

from sync.enums import (
    ActivityType,
    Channel,
    DealRole,
    LadderRung,
    LeadOutcome,
    LeadStatus,
    RejectReason,
    TeamRole,
)

__all__ = [
    "ActivityType",
    "Channel",
    "DealRole",
    "LadderRung",
    "LeadOutcome",
    "LeadStatus",
    "RejectReason",
    "TeamRole",
]
