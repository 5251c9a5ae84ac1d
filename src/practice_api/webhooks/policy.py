from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from practice_api.auth.policy import admin_only
from practice_api.auth.principals import Principal

CanManageWebhooks = Annotated[Principal, Depends(admin_only("manage webhook endpoints"))]
