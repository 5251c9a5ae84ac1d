"""discussions: attachments (files of the entity on a discussion or a comment)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import practice_api.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "discussion_attachments",
        sa.Column("firm_id", sa.Uuid(), nullable=False),
        sa.Column("discussion_id", sa.Uuid(), nullable=False),
        sa.Column("comment_id", sa.Uuid(), nullable=True),
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("attached_by_kind", sa.String(length=20), nullable=False),
        sa.Column("attached_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", practice_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["discussion_comments.id"],
            name=op.f("fk_discussion_attachments_comment_id_discussion_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["discussion_id"],
            ["discussions.id"],
            name=op.f("fk_discussion_attachments_discussion_id_discussions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["file_documents.id"],
            name=op.f("fk_discussion_attachments_file_id_file_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["firms.id"],
            name=op.f("fk_discussion_attachments_firm_id_firms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discussion_attachments")),
    )
    with op.batch_alter_table("discussion_attachments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_discussion_attachments_discussion_id_created_at",
            ["discussion_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_discussion_attachments_comment_id"), ["comment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_discussion_attachments_file_id"), ["file_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_discussion_attachments_firm_id"), ["firm_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("discussion_attachments")
