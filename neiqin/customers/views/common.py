"""Shared by the customer pages: the generic helpers live in ``neiqin.core.pages``."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from neiqin.core.pages import (  # noqa: F401  (re-exported for the customer views)
    apply_errors,
    attachment,
    domain_errors,
    is_fragment,
    redirect_next,
    require,
)
from neiqin.customers import selectors
from neiqin.customers.models import Customer


def detail_url(customer: Customer) -> str:
    return reverse("customers:detail", args=[customer.pk])


def customer_for(request: HttpRequest, pk: int) -> Customer:
    return selectors.customer_get_for_user(user=request.user, pk=pk)


def customer_labels(customer: Customer) -> dict[str, str]:
    return {"code": customer.code, "name": customer.name}
