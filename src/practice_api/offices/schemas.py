from __future__ import annotations

import datetime as dt
import uuid

from pydantic import Field

from practice_api.core.pagination import Page
from practice_api.core.schemas import InputModel, PatchModel, ReadModel


class OfficeRead(ReadModel):
    id: uuid.UUID
    name: str
    address: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class OfficePage(Page[OfficeRead]):
    pass


class OfficeCreate(InputModel):
    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=500)


class OfficeUpdate(PatchModel):
    nullable_fields = frozenset({"address"})

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=500)
