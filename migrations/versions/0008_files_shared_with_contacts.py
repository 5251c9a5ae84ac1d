"""files: shared with the entity's portal contacts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The server default fills the existing rows (not shared); the model sets the value.
    with op.batch_alter_table("file_documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "shared_with_contacts", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("file_documents", schema=None) as batch_op:
        batch_op.alter_column("shared_with_contacts", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("file_documents", schema=None) as batch_op:
        batch_op.drop_column("shared_with_contacts")
