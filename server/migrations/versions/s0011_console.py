"""Console: user roles and web sessions (filled in by the console work).

Revision ID: s0011_console
Revises: s0010_devices_audit
Create Date: 2026-12-06 12:00:00
"""

from collections.abc import Sequence

revision: str = "s0011_console"
down_revision: str | None = "s0010_devices_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
