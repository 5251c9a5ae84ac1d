"""Notifications are personal: every signed-in principal reads and changes only their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from practice_api.access.principals import current_principal
from practice_api.core.principals import Principal

CanUseOwnNotifications = Annotated[Principal, Depends(current_principal)]
