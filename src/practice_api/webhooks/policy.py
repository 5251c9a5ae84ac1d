from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from practice_api.access.firm import firm_policy
from practice_api.auth.principals import Principal

CanManageWebhooks = Annotated[Principal, Depends(firm_policy("webhooks.manage"))]
