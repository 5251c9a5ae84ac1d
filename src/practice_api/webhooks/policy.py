from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from practice_api.access.policy import firm_policy
from practice_api.core.principals import Principal

CanManageWebhooks = Annotated[Principal, Depends(firm_policy("webhooks.manage"))]
