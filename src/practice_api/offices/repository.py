from __future__ import annotations

import uuid

from sqlalchemy import select

from practice_api.core.pagination import Ordering
from practice_api.core.repository import FirmScopedRepository
from practice_api.offices.models import Office

OFFICE_ORDERING = Ordering(
    fields={"name": Office.name, "created_at": Office.created_at},
    id_column=Office.id,
    default="name",
)


class OfficeRepository(FirmScopedRepository[Office]):
    model = Office
    not_found_code = "office_not_found"
    not_found_detail = "No office with that id."

    async def name_taken(self, name: str, *, except_id: uuid.UUID | None = None) -> bool:
        statement = select(Office.id).where(Office.firm_id == self.firm_id, Office.name == name)
        if except_id is not None:
            statement = statement.where(Office.id != except_id)
        return (await self.session.scalar(statement)) is not None
