"""Signing out and reading oneself: row ``self`` of ``access.matrix`` (any signed-in
principal, staff or contact)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from practice_api.access.policy import principal_policy
from practice_api.core.principals import Principal

CanUseOwnSession = Annotated[Principal, Depends(principal_policy("self"))]
