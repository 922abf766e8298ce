"""The full customer file: sections, contacts, key dates, assignments, change history and
who viewed it. Every view of the page is audited (CUS-4)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from neiqin.accounts.models import Region, Team, User
from neiqin.core import audit
from neiqin.core.models import Event
from neiqin.customers import rules, selectors, services
from neiqin.customers.choices import STAGE_TRANSITIONS, KeyDateKind, Stage
from neiqin.customers.forms import SECTIONS, AssignForm, FollowUpForm, KeyDateForm, ReasonForm, StageForm
from neiqin.customers.models import Contact, Customer
from neiqin.customers.views.common import customer_for, domain_errors

HISTORY_LIMIT = 100
VIEWED = "customers.customer.viewed"

ACTION_LABELS = {
    "customers.customer.created": gettext_lazy("新建档案"),
    "customers.customer.imported": gettext_lazy("导入档案"),
    "customers.customer.updated": gettext_lazy("修改资料"),
    "customers.customer.assigned": gettext_lazy("分配 / 转移"),
    "customers.customer.acknowledged": gettext_lazy("确认接收"),
    "customers.customer.claimed": gettext_lazy("公海领取"),
    "customers.customer.released": gettext_lazy("退回公海"),
    "customers.customer.stage_changed": gettext_lazy("变更阶段"),
    "customers.customer.contacted": gettext_lazy("记录跟进"),
    "customers.key_date.added": gettext_lazy("添加关键日期"),
    "customers.access.granted": gettext_lazy("授权查看"),
    "customers.access.revoked": gettext_lazy("撤销授权"),
    "customers.contact.created": gettext_lazy("新增联系人"),
    "customers.contact.updated": gettext_lazy("修改联系人"),
    "customers.contact.deleted": gettext_lazy("删除联系人"),
    "customers.contact.imported": gettext_lazy("导入联系人"),
}


def _display(customer: Customer, name: str) -> Any:
    field = customer._meta.get_field(name)
    value = getattr(customer, name)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if value in (None, ""):
        return "—"
    if field.choices:
        return getattr(customer, f"get_{name}_display")()
    if name == "credit_limit":
        return f"¥{value:,.2f}"
    if name == "payment_term_days":
        return _("%(days)s 天") % {"days": value}
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _sections(customer: Customer) -> list[dict[str, Any]]:
    return [
        {
            "title": title,
            "rows": [(customer._meta.get_field(n).verbose_name, _display(customer, n), n) for n in names],
        }
        for title, names in SECTIONS
    ]


def _related_names(events: Iterable[Event]) -> dict[type[models.Model], dict[str, str]]:
    """Names for the foreign-key ids in audit changes (owner, team, region), one query per model."""
    wanted: dict[type[models.Model], set[Any]] = {}
    for event in events:
        model = _event_model(event)
        for field_name, pair in (event.changes or {}).items():
            field = _model_field(model, field_name)
            if field is not None and field.is_relation:
                wanted.setdefault(field.related_model, set()).update(v for v in pair if v not in (None, ""))
    names: dict[type[models.Model], dict[str, str]] = {}
    for model, ids in wanted.items():
        if model in (User, Team, Region):
            names[model] = {str(obj.pk): str(obj) for obj in model.objects.filter(pk__in=ids)}
    return names


def _event_model(event: Event) -> type[models.Model]:
    return Contact if event.object_type == Contact._meta.label_lower else Customer


def _model_field(model: type[models.Model], name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _format_value(field: Any, value: Any, names: dict[type[models.Model], dict[str, str]]) -> Any:
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if value in (None, "", []):
        return "—"
    if field is not None and field.choices:
        return dict(field.flatchoices).get(value, value)
    if field is not None and field.is_relation:
        return names.get(field.related_model, {}).get(str(value), f"#{value}")
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return value


def _event_note(event: Event) -> str:
    data = event.data or {}
    if event.action == "customers.key_date.added":
        kind = dict(KeyDateKind.choices).get(data.get("kind"), data.get("kind"))
        return f"{kind} {data.get('date', '')}"
    if event.action == "customers.customer.contacted":
        return _("下次联系：%(date)s") % {"date": data.get("next_contact_on", "")}
    if data.get("reason"):
        return _("原因：%(reason)s") % {"reason": data["reason"]}
    return ""


def _history(customer: Customer) -> list[dict[str, Any]]:
    """Changes to the file and its contacts, newest first, with field names and before -> after."""
    events = list(selectors.customer_history(customer=customer)[:HISTORY_LIMIT])
    names = _related_names(events)
    rows = []
    for event in events:
        model = _event_model(event)
        changes = []
        for field_name, (before, after) in audit.display_changes(event).items():
            field = _model_field(model, field_name)
            label = field.verbose_name if field is not None else field_name
            shown = (_format_value(field, before, names), _format_value(field, after, names))
            if shown[0] == shown[1]:
                continue  # e.g. an empty field on creation: nothing to show
            changes.append({"label": label, "before": shown[0], "after": shown[1]})
        rows.append(
            {
                "event": event,
                "label": ACTION_LABELS.get(event.action, event.action),
                "subject": event.object_repr if model is Contact else "",
                "changes": changes,
                "is_creation": event.action.endswith(".created"),
                "note": _event_note(event),
            }
        )
    return rows


def _views_summary(customer: Customer) -> dict[str, Any]:
    views = Event.objects.filter(
        object_type=Customer._meta.label_lower, object_id=str(customer.pk), action=VIEWED
    ).select_related("actor")
    return {"count": views.count(), "recent": list(views[:10])}


def customer_permissions(user: Any, customer: Customer) -> dict[str, bool]:
    return {
        "edit": rules.can_edit(user, customer),
        "assign": rules.can_assign(user),
        "acknowledge": rules.can_acknowledge(user, customer),
        "release": rules.can_release(user, customer),
        "claim": rules.can_claim(user, customer),
    }


def contacts_context(customer: Customer, perms: dict[str, bool]) -> dict[str, Any]:
    return {"customer": customer, "contacts": list(customer.contacts.all()), "can": perms}


@login_required
@require_GET
@domain_errors
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The full file. Every view is logged (CUS-4)."""
    user = request.user
    customer = customer_for(request, pk)
    services.customer_record_view(customer=customer, by=user)
    perms = customer_permissions(user, customer)
    targets = [value for value in Stage.values if STAGE_TRANSITIONS.can(customer.stage, value)]
    context = {
        **contacts_context(customer, perms),
        "sections": _sections(customer),
        "key_dates": list(customer.key_dates.all()),
        "assignments": list(customer.assignments.select_related("from_owner", "to_owner", "by")),
        "history": _history(customer),
        "today": timezone.localdate(),
        "views": _views_summary(customer),
        "stage_targets": targets if perms["edit"] else [],
        "assign_form": AssignForm() if perms["assign"] else None,
        "release_form": ReasonForm() if perms["release"] else None,
        "stage_form": StageForm(targets=targets) if perms["edit"] and targets else None,
        "follow_up_form": FollowUpForm() if perms["edit"] else None,
        "key_date_form": KeyDateForm() if perms["edit"] else None,
    }
    return render(request, "customers/detail.html", context)
