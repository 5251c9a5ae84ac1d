from __future__ import annotations

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
