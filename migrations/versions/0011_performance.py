"""performance: an index per allowed entity ordering (id breaks ties), trigram search

Revision ID: 0011
Revises: 0016
Create Date: 2026-11-25 15:15:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDERINGS = {
    "ix_entities_firm_name_id": ["firm_id", "name", "id"],
    "ix_entities_firm_created_id": ["firm_id", "created_at", "id"],
    "ix_entities_firm_updated_id": ["firm_id", "updated_at", "id"],
    "ix_entities_firm_owner_name_id": ["firm_id", "owner_id", "name", "id"],
    "ix_entities_firm_status_name_id": ["firm_id", "status", "name", "id"],
}
SEARCHED = ("name", "tax_id", "email")


def upgrade() -> None:
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.drop_index("ix_entities_firm_id_name")
        for name, columns in ORDERINGS.items():
            batch_op.create_index(name, columns, unique=False)
    if op.get_context().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in SEARCHED:
            op.execute(
                f"CREATE INDEX ix_entities_{column}_trgm ON entities "
                f"USING gin (lower({column}) gin_trgm_ops)"
            )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for column in SEARCHED:
            op.execute(f"DROP INDEX IF EXISTS ix_entities_{column}_trgm")
    with op.batch_alter_table("entities", schema=None) as batch_op:
        for name in ORDERINGS:
            batch_op.drop_index(name)
        batch_op.create_index("ix_entities_firm_id_name", ["firm_id", "name"], unique=False)
