"""Who may read and manage the firm's staff users: rows ``users.*`` of ``access.matrix``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from practice_api.access.policy import firm_policy
from practice_api.core.principals import Principal

CanListUsers = Annotated[Principal, Depends(firm_policy("users.list"))]
CanViewUser = Annotated[Principal, Depends(firm_policy("users.view"))]
CanCreateUser = Annotated[Principal, Depends(firm_policy("users.create"))]
CanManageUsers = Annotated[Principal, Depends(firm_policy("users.manage"))]
