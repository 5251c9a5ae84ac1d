"""Notifications are personal: every signed-in principal reads and changes only their own
(row ``self`` of ``access.matrix``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from practice_api.access.policy import principal_policy
from practice_api.core.principals import Principal

CanUseOwnNotifications = Annotated[Principal, Depends(principal_policy("self"))]
