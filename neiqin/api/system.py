from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from neiqin.accounts.scoping import customer_scope, roles

router = Router(tags=["system"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    roles: list[str]
    customer_scope: str


@router.get("/me", response=MeOut, summary="The authenticated user")
def me(request: HttpRequest):
    user = request.user
    return MeOut(id=user.pk, username=user.username, display_name=user.display_name, roles=sorted(roles(user)),
                 customer_scope=str(customer_scope(user)))
