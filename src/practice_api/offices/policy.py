from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from practice_api.auth.policy import admin_only
from practice_api.auth.principals import Principal, current_staff

CanViewOffices = Annotated[Principal, Depends(current_staff)]
CanManageOffices = Annotated[Principal, Depends(admin_only("manage offices"))]
