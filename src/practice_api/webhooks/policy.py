"""Who may manage webhook endpoints (admins): rows ``webhooks.*`` of ``access.matrix``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from practice_api.access.policy import firm_policy
from practice_api.core.principals import Principal

# Listing and adding endpoints (no endpoint named: another firm's admin is simply refused).
CanUseWebhooks = Annotated[Principal, Depends(firm_policy("webhooks.create"))]
CanManageWebhooks = Annotated[Principal, Depends(firm_policy("webhooks.manage"))]
