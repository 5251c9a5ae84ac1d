from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from practice_api.access.firm import firm_policy
from practice_api.auth.principals import Principal

CanReadFirmActivity = Annotated[Principal, Depends(firm_policy("activity.list_firm"))]
# An entity's timeline (GET /v1/entities/{id}/activity) uses the entities domain's own
# can_view_entity policy: whoever may see the entity may read its activity.
