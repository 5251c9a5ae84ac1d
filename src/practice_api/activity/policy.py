"""Who may read activity: the firm's log (admins), an entity's timeline (its viewers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from practice_api.access.policy import firm_policy
from practice_api.core.principals import Principal
from practice_api.entities.policy import EntityContext, entity_policy

CanReadFirmActivity = Annotated[Principal, Depends(firm_policy("activity.list_firm"))]
# An entity's timeline (GET /v1/entities/{id}/activity): row ``entity.activity``.
CanReadEntityActivity = Annotated[EntityContext, Depends(entity_policy("entity.activity"))]
