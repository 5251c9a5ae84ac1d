"""Who may read and change the owner list: staff read it, admins change it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from practice_api.access.policy import firm_policy
from practice_api.core.principals import Principal

can_list_owners = firm_policy("owners.list")
can_view_owner = firm_policy("owners.view")
can_create_owner = firm_policy("owners.create")
can_manage_owner = firm_policy("owners.manage")
can_transfer_owner_entities = firm_policy("owners.transfer")

CanListOwners = Annotated[Principal, Depends(can_list_owners)]
CanViewOwner = Annotated[Principal, Depends(can_view_owner)]
CanCreateOwner = Annotated[Principal, Depends(can_create_owner)]
CanManageOwner = Annotated[Principal, Depends(can_manage_owner)]
CanTransferOwnerEntities = Annotated[Principal, Depends(can_transfer_owner_entities)]
