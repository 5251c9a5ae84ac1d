"""Who may read and change the firm: rows ``firm.*`` of ``access.matrix``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from practice_api.access.policy import firm_policy
from practice_api.core.principals import Principal

CanViewFirm = Annotated[Principal, Depends(firm_policy("firm.view"))]
CanManageFirm = Annotated[Principal, Depends(firm_policy("firm.manage"))]
