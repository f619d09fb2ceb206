"""Connectors: webhook secrets of Stripe, Zendesk and HubSpot, and their deliveries.

Revision ID: s0012_connectors
Revises: s0011_console
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

revision: str = "s0012_connectors"
down_revision: str | None = "s0011_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
