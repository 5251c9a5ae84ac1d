"""Notifications are personal: every signed-in principal reads and changes only their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from practice_api.auth.principals import Principal, current_principal

CanUseOwnNotifications = Annotated[Principal, Depends(current_principal)]
