from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from practice_api.core.pagination import Listing, Ordering, PageParams
from practice_api.core.repository import FirmScopedRepository
from practice_api.core.time import utcnow
from practice_api.notifications.models import Notification, NotificationPreference

NOTIFICATION_ORDERING = Ordering(
    fields={"created_at": Notification.created_at},
    id_column=Notification.id,
    default="-created_at",
)


class NotificationRepository(FirmScopedRepository[Notification]):
    """A recipient's own notifications: every read starts from ``readable()``."""

    model = Notification
    not_found_code = "notification_not_found"
    not_found_detail = "No notification with that id."

    def __init__(self, session: AsyncSession, firm_id: uuid.UUID, kind: str, id: uuid.UUID):
        super().__init__(session, firm_id)
        self.kind = kind
        self.recipient_id = id

    def readable(self) -> Select[Notification]:
        return (
            super()
            .readable()
            .where(
                Notification.recipient_kind == self.kind,
                Notification.recipient_id == self.recipient_id,
            )
        )

    def filtered(self, *, unread: bool | None, type: str | None) -> Select[Notification]:
        statement = self.readable()
        if unread is True:
            statement = statement.where(Notification.read_at.is_(None))
        elif unread is False:
            statement = statement.where(Notification.read_at.is_not(None))
        if type:
            statement = statement.where(Notification.type == type)
        return statement

    async def listing(
        self,
        params: PageParams,
        order_by: str | None,
        *,
        unread: bool | None,
        type: str | None,
        items: Listing,
    ) -> tuple[Sequence[Any], str | None]:
        """One page of the recipient's notifications, as rows of ``items``' columns (the
        fast path of lists)."""
        statement = self.filtered(unread=unread, type=type)
        return await self.page_rows(statement, params, NOTIFICATION_ORDERING, order_by, items)

    async def unread_count(self) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(
                self.readable().where(Notification.read_at.is_(None)).subquery()
            )
        )
        return int(count or 0)

    async def mark_all_read(self) -> int:
        result = await self.session.execute(
            update(Notification)
            .where(
                Notification.firm_id == self.firm_id,
                Notification.recipient_kind == self.kind,
                Notification.recipient_id == self.recipient_id,
                Notification.read_at.is_(None),
            )
            .values(read_at=utcnow())
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def preferences(self) -> Sequence[NotificationPreference]:
        rows = await self.session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.recipient_kind == self.kind,
                NotificationPreference.recipient_id == self.recipient_id,
            )
        )
        return rows.all()

    async def replace_preferences(self, choices: list[tuple[str, str, bool, str | None]]) -> None:
        await self.session.execute(
            delete(NotificationPreference).where(
                NotificationPreference.recipient_kind == self.kind,
                NotificationPreference.recipient_id == self.recipient_id,
            )
        )
        self.session.add_all(
            NotificationPreference(
                firm_id=self.firm_id,
                recipient_kind=self.kind,
                recipient_id=self.recipient_id,
                event_type=event_type,
                channel=channel,
                enabled=enabled,
                frequency=frequency,
            )
            for event_type, channel, enabled, frequency in choices
        )
        await self.session.flush()
