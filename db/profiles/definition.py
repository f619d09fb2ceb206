"""The profile definition as the app loads it: a file that cannot be used is a StoreUserError.

Reading and checking the file is sync.profile_definition's (the server reads it too); the
types are named here as well, since ui/ takes its types from db/, and so are those of the
tiers a profile is measured in (db.profiles.tiers).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from db.errors import StoreUserError
from db.profiles.tiers import (
    FROM_CONTACT,
    KEY_DEAL_ROLES,
    CompletenessSort,
    ProfileTier,
    TerritoryProfileRow,
    TierRule,
    contact_values,
    from_contact,
    is_key_contact,
    key_contacts_explained,
)
from sync import profile_definition as shared
from sync.profile_definition import (
    ProfileDefinition,
    ProfileQuestion,
    ProfileSection,
    QuestionType,
    Recurrence,
)

# What an answer may hold (db.profiles.values checks them; the editor caps its fields).
TEXT_LIMIT = 500
LONG_TEXT_LIMIT = 20_000
LIST_ITEMS_LIMIT = 100
PEOPLE_LIMIT = 30
AGE_LIMIT = 130
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
PERSON_KEYS = ("name", "birth_date", "age", "interests")

__all__ = [
    "AGE_LIMIT",
    "CompletenessSort",
    "EARLIEST_DATE",
    "FROM_CONTACT",
    "KEY_DEAL_ROLES",
    "LATEST_DATE",
    "LIST_ITEMS_LIMIT",
    "LONG_TEXT_LIMIT",
    "PEOPLE_LIMIT",
    "PERSON_KEYS",
    "TEXT_LIMIT",
    "DefinitionError",
    "ProfileDefinition",
    "ProfileQuestion",
    "ProfileSection",
    "ProfileTier",
    "QuestionType",
    "Recurrence",
    "TerritoryProfileRow",
    "TierRule",
    "contact_values",
    "from_contact",
    "is_key_contact",
    "key_contacts_explained",
    "load_definition",
]


class DefinitionError(StoreUserError, shared.DefinitionError):
    """A profile definition file that cannot be used; the message names the file and why."""


def load_definition(path: Path | None = None) -> ProfileDefinition:
    """The profile definition in `path`, or the packaged Mackay 66 when `path` is None.

    Raises DefinitionError, naming the file and the problem, if the file cannot be read or
    breaks a rule (see the comments at the top of resources/mackay66.toml).
    """
    try:
        return shared.load_definition(path)
    except shared.DefinitionError as exc:
        raise DefinitionError(str(exc)) from exc
