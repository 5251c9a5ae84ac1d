from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from practice_api.access.firm import firm_policy
from practice_api.auth.principals import Principal, current_staff

CanViewUsers = Annotated[Principal, Depends(current_staff)]
CanManageUsers = Annotated[Principal, Depends(firm_policy("users.manage"))]
