"""Who may read and manage offices: rows ``offices.*`` of ``access.matrix``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from practice_api.access.policy import firm_policy
from practice_api.core.principals import Principal

CanListOffices = Annotated[Principal, Depends(firm_policy("offices.list"))]
CanViewOffice = Annotated[Principal, Depends(firm_policy("offices.view"))]
CanCreateOffice = Annotated[Principal, Depends(firm_policy("offices.create"))]
CanManageOffices = Annotated[Principal, Depends(firm_policy("offices.manage"))]
