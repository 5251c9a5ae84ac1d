"""notifications: links and subjects in-app, digests, e-mail frequency, firm digest hour

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 14:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_type", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("subject_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("link", sa.String(length=2000), nullable=True))
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("frequency", sa.String(length=20), nullable=True))
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("via", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("digest_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("digest_date", sa.Date(), nullable=True))
        batch_op.create_index("ix_deliveries_digest_id", ["digest_id"], unique=False)
        batch_op.create_unique_constraint(
            "uq_deliveries_digest_day", ["recipient_kind", "recipient_id", "digest_date"]
        )
    with op.batch_alter_table("firms", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digest_hour", sa.Integer(), nullable=False, server_default="8")
        )
    with op.batch_alter_table("firms", schema=None) as batch_op:
        batch_op.alter_column("digest_hour", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("firms", schema=None) as batch_op:
        batch_op.drop_column("digest_hour")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("uq_deliveries_digest_day", type_="unique")
        batch_op.drop_index("ix_deliveries_digest_id")
        batch_op.drop_column("digest_date")
        batch_op.drop_column("digest_id")
        batch_op.drop_column("via")
    with op.batch_alter_table("notification_preferences", schema=None) as batch_op:
        batch_op.drop_column("frequency")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("link")
        batch_op.drop_column("subject_id")
        batch_op.drop_column("subject_type")
