from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest
from ninja import Router, Schema, Status

from neiqin.accounts.scoping import customer_scope, roles

router = Router(tags=["system"])


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    roles: list[str]
    customer_scope: str


class HealthOut(Schema):
    status: str
    database: str


@router.get("/me", response=MeOut, summary="The authenticated user")
def me(request: HttpRequest):
    user = request.user
    return MeOut(
        id=user.pk,
        username=user.username,
        display_name=user.display_name,
        roles=sorted(roles(user)),
        customer_scope=str(customer_scope(user)),
    )


@router.get(
    "/health",
    auth=None,
    response={200: HealthOut, 503: HealthOut},
    operation_id="system_health",
    summary="Liveness and database check for monitors (no authentication, no details)",
)
def health(request: HttpRequest):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return Status(503, HealthOut(status="error", database="unavailable"))
    return HealthOut(status="ok", database="ok")
