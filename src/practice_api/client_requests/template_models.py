"""The firm's library of client request templates: a title, a message and questions (the
same schema as a request's), reused to send the same questionnaire to many clients.

A request made from a template copies its questions with their ids and remembers
``template_id``, so the answers of every client line up by question in one CSV
(``GET /v1/client-request-templates/{id}/answers``). A template is archived, never
deleted: the requests made from it keep pointing at it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from practice_api.db import Base, IdMixin, JSONType, TimestampMixin, VersionedMixin


class ClientRequestTemplate(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "client_request_templates"
    __table_args__ = (
        Index("ix_client_request_templates_firm_id_title", "firm_id", "title"),
        Index("ix_client_request_templates_firm_id_created_at", "firm_id", "created_at"),
    )

    firm_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("firms.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")  # for staff choosing one
    message: Mapped[str] = mapped_column(Text, default="")  # the request's message
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    # A request made from it is due this many days after it is sent (None: no due date).
    due_in_days: Mapped[int | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_by_name: Mapped[str] = mapped_column(String(200))
    archived_at: Mapped[dt.datetime | None]
