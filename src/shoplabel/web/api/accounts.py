"""User administration (admins only; the services enforce it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shoplabel.domain.ids import UserId
from shoplabel.domain.users import User
from shoplabel.errors import InvalidInput
from shoplabel.services import auth
from shoplabel.web.deps import CurrentActor, UowDep, UowFactoryDep
from shoplabel.web.schemas.accounts import UserCreate, UserPage, UserRead, UserUpdate

__all__ = ["router"]

router = APIRouter(tags=["users"])


@router.get("/users")
def list_users(
    actor: CurrentActor,
    uow: UowDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> UserPage:
    users = auth.list_users(uow, actor=actor, offset=offset, limit=limit)
    return UserPage.from_domain(users, offset=offset, limit=limit)


@router.post("/users", status_code=201)
def create_user(body: UserCreate, actor: CurrentActor, uow: UowDep) -> UserRead:
    user = auth.create_user(
        uow,
        actor=actor,
        username=body.username,
        password=body.password,
        role=body.role,
        display_name=body.display_name,
    )
    return UserRead.from_domain(user)


@router.patch("/users/{user_id}")
def update_user(
    user_id: UserId, body: UserUpdate, actor: CurrentActor, uows: UowFactoryDep
) -> UserRead:
    """Change a user's status and/or role (status first: an admin cannot change their own)."""
    user: User | None = None
    if body.status is not None:
        user = auth.set_status(uows(), actor=actor, user_id=user_id, status=body.status)
    if body.role is not None:
        user = auth.change_role(uows(), actor=actor, user_id=user_id, role=body.role)
    if user is None:
        raise InvalidInput("give a new 'role' or 'status'", details={"field": "body"})
    return UserRead.from_domain(user)
