"""dashboard: the client area's scans answered from indexes

The dashboard's statements (issue 18) scan a contact's entities' documents by due date,
test the contact's reads, and look up the cancelled tasks of those entities:

* ``task_outputs (entity_id, due_date, visible_to_client, firm_id, task_id)`` replaces
  ``(entity_id, due_date)`` (same prefix): index-only scans;
* ``task_output_reads (contact_id, output_id)`` replaces ``(contact_id)`` (same prefix);
* ``tasks (entity_id, status)``.

Revision ID: 0020
Revises: 0018
Create Date: 2026-11-25 17:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("task_outputs", schema=None) as batch_op:
        batch_op.drop_index("ix_task_outputs_entity_id_due_date")
        batch_op.create_index(
            "ix_task_outputs_entity_due_visible",
            ["entity_id", "due_date", "visible_to_client", "firm_id", "task_id"],
            unique=False,
        )
    with op.batch_alter_table("task_output_reads", schema=None) as batch_op:
        batch_op.drop_index("ix_task_output_reads_contact_id")
        batch_op.create_index(
            "ix_task_output_reads_contact_id_output_id", ["contact_id", "output_id"], unique=False
        )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_entity_id_status", ["entity_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_entity_id_status")
    with op.batch_alter_table("task_output_reads", schema=None) as batch_op:
        batch_op.drop_index("ix_task_output_reads_contact_id_output_id")
        batch_op.create_index("ix_task_output_reads_contact_id", ["contact_id"], unique=False)
    with op.batch_alter_table("task_outputs", schema=None) as batch_op:
        batch_op.drop_index("ix_task_outputs_entity_due_visible")
        batch_op.create_index(
            "ix_task_outputs_entity_id_due_date", ["entity_id", "due_date"], unique=False
        )
