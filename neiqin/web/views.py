"""The shell: login/logout, the role-based home page (工作台), profile (个人设置), inbox (通知)."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_failure_limit
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from neiqin.accounts import services as account_services
from neiqin.accounts.roles import Role
from neiqin.accounts.scoping import roles
from neiqin.core.errors import DomainError
from neiqin.core.links import object_path
from neiqin.core.notifications import notifications_mark_read
from neiqin.customers import selectors
from neiqin.customers.choices import Stage
from neiqin.web.forms import LoginForm, NeiqinPasswordChangeForm, NotificationEmailForm, TokenCreateForm

HOME_LIST_LIMIT = 20
NOTIFICATIONS_PER_PAGE = 30


@require_GET
def healthz(request):
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
        db = "ok"
    except Exception as exc:  # noqa: BLE001 - health check reports any database failure
        return JsonResponse({"status": "error", "database": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": db, "engine": connection.vendor})


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: Any) -> HttpResponse:
        """The failure that reaches the limit still gets the login page, saying the account is now
        locked; axes answers the next attempts with the lockout page (429) before any hashing."""
        request = self.request
        failures = getattr(request, "axes_failures_since_start", None)
        # Only the failure that reaches the limit; attempts while locked stay refused by axes.
        if getattr(request, "axes_locked_out", False) and failures == get_failure_limit(
            request, getattr(request, "axes_credentials", None)
        ):
            request.axes_locked_out = False
            form.errors.pop("__all__", None)
            form.add_error(None, form.error_messages["locked"])
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("web:login")


# ---- home (工作台) -------------------------------------------------------------------------------


def _clerk_desk(user: Any) -> dict[str, Any]:
    overdue = selectors.handover_overdue(user=user).order_by("handover_due_at", "id")
    due = selectors.follow_ups_due(user=user)
    recent = selectors.customer_queryset(user=user).order_by("-created_at", "-id")
    return {
        "overdue": list(overdue[:HOME_LIST_LIMIT]),
        "overdue_count": overdue.count(),
        "due": list(due[:HOME_LIST_LIMIT]),
        "due_count": due.count(),
        "recent": list(recent[:10]),
        "reminders": selectors.reminders_due(user=user)[:HOME_LIST_LIMIT],
    }


def _sales_desk(user: Any) -> dict[str, Any]:
    mine = selectors.customer_queryset(user=user).filter(owner=user)
    due = selectors.follow_ups_due(user=user).filter(owner=user)
    return {
        "awaiting": list(mine.filter(acknowledged_at__isnull=True).order_by("handover_due_at", "id")),
        "due": list(due[:HOME_LIST_LIMIT]),
        "due_count": due.count(),
        "mine_count": mine.count(),
        "pool_size": selectors.pool_list(user=user).count(),
        "reminders": [r for r in selectors.reminders_due(user=user) if r.customer.owner_id == user.pk][
            :HOME_LIST_LIMIT
        ],
    }


def _stage_overview(user: Any, *, by_owner: bool) -> dict[str, Any]:
    """Counts by stage per team (GM) or per salesperson (manager), for a table and a bar chart."""
    group = "owner" if by_owner else "team"
    name_fields = ("owner__display_name", "owner__username") if by_owner else ("team__name",)
    rows = (
        selectors.customer_queryset(user=user)
        .order_by()
        .values(group, *name_fields, "stage")
        .annotate(count=Count("id"))
    )
    stages = list(Stage)
    matrix: dict[Any, dict[str, Any]] = {}
    for row in rows:
        label = next((row[f] for f in name_fields if row[f]), None) or (
            _("公海（未分配）") if by_owner else _("未分组")
        )
        entry = matrix.setdefault(row[group], {"label": label, "counts": dict.fromkeys(stages, 0)})
        entry["counts"][row["stage"]] = row["count"]
    groups = sorted(matrix.values(), key=lambda e: (-sum(e["counts"].values()), str(e["label"])))
    table = [
        {"label": g["label"], "counts": [g["counts"][s] for s in stages], "total": sum(g["counts"].values())}
        for g in groups
    ]
    totals = [sum(g["counts"][s] for g in groups) for s in stages]
    chart = {
        "categories": [str(g["label"]) for g in groups],
        "series": [{"name": str(s.label), "data": [g["counts"][s] for g in groups]} for s in stages],
    }
    return {
        "group_label": _("业务员") if by_owner else _("团队"),
        "stages": [s.label for s in stages],
        "table": table,
        "totals": totals,
        "grand_total": sum(totals),
        "chart": chart,
    }


def _url(name: str, query: str = "") -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name) + (f"?{query}" if query else "")
    except NoReverseMatch:
        return None


def _work_items(user: Any) -> list[dict[str, Any]]:
    """The counters of the desk: what waits for this user today, each linked to its list."""
    from django.utils import timezone

    from neiqin.accounts.roles import (
        CAN_APPROVE_COUNT,
        CAN_APPROVE_LOAN,
        CAN_HANDLE_REPLENISHMENT,
        CAN_MOVE_STOCK,
    )
    from neiqin.accounts.scoping import has_role
    from neiqin.sales import selectors as sales
    from neiqin.stock.choices import CountStatus, LoanStatus, ReplenishmentStatus
    from neiqin.stock.models import ProductLoan, ReplenishmentRequest, StockCount
    from neiqin.stock.selectors import materials, reports

    role_codes = roles(user)
    today = timezone.localdate()
    items: list[dict[str, Any]] = []

    def add(label: Any, count: int, url: str | None, icon: str, tone: str = "primary") -> None:
        items.append({"label": label, "count": count, "url": url, "icon": icon, "tone": tone if count else "secondary"})

    queue = sales.approval_queue(user=user)
    if queue.exists() or role_codes & {Role.GM, Role.DEPUTY_GM, Role.SALES_MANAGER}:
        add(_("待我审批"), queue.count(), _url("sales:approval_queue"), "bi-check2-square", "danger")
    if role_codes & {Role.CLERK, Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN}:
        inbox = sales.order_inbox(user=user)
        add(_("草稿订单"), inbox.drafts.count(), _url("sales:order_inbox"), "bi-pencil-square")
        add(_("订单待审批"), inbox.waiting_approval.count(), _url("sales:order_inbox"), "bi-hourglass", "warning")
        add(_("订单待确认"), inbox.ready.count(), _url("sales:order_inbox"), "bi-send-check", "primary")
        add(_("等待到货"), inbox.waiting_stock.count(), _url("sales:order_inbox"), "bi-truck", "warning")
        add(_("口头订单未补书面"), inbox.oral.count(), _url("sales:order_inbox"), "bi-mic", "warning")
    if has_role(user, CAN_MOVE_STOCK) or Role.CLERK in role_codes:
        add(
            _("低于安全库存"), reports.low_stock().count(), _url("stock:low_stock"), "bi-exclamation-triangle", "danger"
        )
    if has_role(user, CAN_HANDLE_REPLENISHMENT):
        open_requests = ReplenishmentRequest.objects.filter(
            status__in=[ReplenishmentStatus.OPEN, ReplenishmentStatus.IN_PROGRESS]
        )
        add(_("未完成的补货申请"), open_requests.count(), _url("stock:replenishments"), "bi-box-arrow-in-down")
    if has_role(user, CAN_APPROVE_COUNT):
        waiting = StockCount.objects.filter(status=CountStatus.SUBMITTED).exclude(submitted_by=user)
        add(_("盘点待审批"), waiting.count(), _url("stock:counts"), "bi-clipboard-check", "danger")
    if has_role(user, CAN_APPROVE_LOAN):
        requested = ProductLoan.objects.filter(status=LoanStatus.REQUESTED).exclude(requested_by=user)
        add(_("借用待审批"), requested.count(), _url("stock:loans"), "bi-arrow-return-right", "danger")
    overdue = materials.loan_queryset(user=user).filter(materials.overdue_q(today))
    if overdue.exists():
        add(_("借用逾期未还"), overdue.count(), _url("stock:loans"), "bi-alarm", "danger")
    return items


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    role_codes = roles(user)
    context: dict[str, Any] = {"work_items": _work_items(user)}
    if role_codes & {Role.CLERK, Role.ADMIN}:
        context["clerk_desk"] = _clerk_desk(user)
    if Role.SALESPERSON in role_codes:
        context["sales_desk"] = _sales_desk(user)
    if role_codes & {Role.GM, Role.DEPUTY_GM, Role.FINANCE}:
        context["overview"] = _stage_overview(user, by_owner=False)
    elif Role.SALES_MANAGER in role_codes:
        context["overview"] = _stage_overview(user, by_owner=True)
    return render(request, "web/home.html", context)


# ---- profile (个人设置) ----------------------------------------------------------------------------


def _profile_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "role_labels": [Role(code).label for code in sorted(roles(request.user))],
        "tokens": request.user.api_tokens.all(),
        "token_form": TokenCreateForm(),
        "password_form": NeiqinPasswordChangeForm(user=request.user),
        # The newest notice whose e-mail failed and is still unsent: the user may need to fix the address.
        "email_failure": request.user.notifications.filter(emailed_at__isnull=True, email_attempts__gt=0)
        .order_by("-created_at")
        .first(),
        "email_form": NotificationEmailForm(
            initial={"email": request.user.email, "enabled": request.user.email_notifications}
        ),
    }
    context.update(extra)
    return context


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "web/profile.html", _profile_context(request))


@method_decorator(login_required, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view: checks the old password, validates, keeps this session (update_session_auth_hash)."""

    form_class = NeiqinPasswordChangeForm
    template_name = "web/profile.html"
    success_url = reverse_lazy("web:profile")
    http_method_names = ["post"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        return _profile_context(self.request, password_form=context["form"])

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 422
        return response

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("密码已修改。"))
        return response


@login_required
@require_POST
def notification_email(request: HttpRequest) -> HttpResponse:
    """Save the notification e-mail settings; a refusal re-shows the form with the message (422)."""
    form = NotificationEmailForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    try:
        account_services.user_set_notification_email(
            user=request.user, email=data.get("email", ""), enabled=data.get("enabled", False), by=request.user
        )
    except DomainError as exc:
        for field, errors in (exc.extra or {}).get("fields", {}).items():
            for error in errors:
                form.add_error(field if field in form.fields else None, str(error))
        if not form.errors:
            form.add_error(None, str(exc.message))
        return render(request, "web/profile.html", _profile_context(request, email_form=form), status=422)
    messages.success(request, _("通知邮件设置已保存。"))
    return redirect("web:profile")


@never_cache
@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """Show the plain token once, in this response only (never stored, never redirected with)."""
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return render(request, "web/profile.html", _profile_context(request, token_form=form), status=422)
    token, plain = account_services.token_create(user=request.user, name=form.cleaned_data["name"], by=request.user)
    return render(request, "web/profile.html", _profile_context(request, new_token=token, new_token_plain=plain))


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        account_services.token_revoke(user=request.user, token_id=token_id, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("令牌已撤销，使用它的程序将无法再访问。"))
    return redirect("web:profile")


# ---- notifications (通知) --------------------------------------------------------------------------


def _object_url(notification: Any) -> str:
    return object_path(notification.object_type, notification.object_id)


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "")
    qs = request.user.notifications.all()
    if show == "unread":
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    for item in page.object_list:
        item.url = _object_url(item)
    return render(request, "web/notifications.html", {"page": page, "show": show})


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark the posted ids read (or all unread); then follow ``open`` to the object if given."""
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
    mark_all = request.POST.get("all") == "1"
    count = notifications_mark_read(user=request.user, ids=None if mark_all else ids)
    opened = request.user.notifications.filter(pk__in=ids[:1]).first() if request.POST.get("open") else None
    if opened is not None and _object_url(opened):
        return redirect(_object_url(opened))
    if mark_all:
        messages.success(request, _("已将 %(count)s 条通知标为已读。") % {"count": count})
    return redirect(reverse("web:notifications") + ("?show=unread" if request.POST.get("show") == "unread" else ""))
