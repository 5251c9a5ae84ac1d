"""hardening: atomic rate-limit counters replace the per-hit rows; webhook secrets encrypted

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-25 14:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import practice_api.db

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_counters",
        sa.Column("bucket", sa.String(length=300), nullable=False),
        sa.Column("window_started_at", practice_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("blocked_until", practice_api.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_rate_counters")),
    )
    # Old per-hit rows are short-lived window data: nothing to carry over.
    with op.batch_alter_table("rate_limit_hits", schema=None) as batch_op:
        batch_op.drop_index("ix_rate_limit_hits_bucket_at")
    op.drop_table("rate_limit_hits")
    _webhook_secrets(encrypt=True)


def _webhook_secrets(*, encrypt: bool) -> None:
    """Encrypt (or, going down, decrypt) the stored webhook signing secrets with the key
    derived from PRACTICE_SECRET_KEY (see practice_api.core.secretbox)."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, secret, previous_secret FROM webhook_endpoints")).all()
    if not rows:
        return
    from practice_api.settings import Settings

    box = Settings().secret_box
    convert = box.reseal if encrypt else box.open
    for row_id, secret, previous in rows:
        bind.execute(
            sa.text(
                "UPDATE webhook_endpoints SET secret = :secret, previous_secret = :previous "
                "WHERE id = :id"
            ),
            {
                "id": row_id,
                "secret": convert(secret),
                "previous": convert(previous) if previous else None,
            },
        )


def downgrade() -> None:
    _webhook_secrets(encrypt=False)
    op.create_table(
        "rate_limit_hits",
        sa.Column("bucket", sa.String(length=300), nullable=False),
        sa.Column("at", practice_api.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_hits")),
    )
    with op.batch_alter_table("rate_limit_hits", schema=None) as batch_op:
        batch_op.create_index("ix_rate_limit_hits_bucket_at", ["bucket", "at"], unique=False)
    op.drop_table("rate_counters")
