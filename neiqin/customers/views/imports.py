"""Customer import pages: upload and stage a file, preview the batch and its row errors,
commit or discard it, download the template."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from neiqin.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from neiqin.customers import rules
from neiqin.customers.forms import ImportUploadForm
from neiqin.customers.views.common import attachment, domain_errors, require

IMPORT_PREVIEW_ROWS = 20


def _batch_for(request: HttpRequest, batch_id: int) -> Any:
    from neiqin.customers import importer

    batch = importer.import_batches_for(user=request.user).filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(_("导入批次不存在。"))
    return batch


def _error_rows(errors: Any) -> list[dict[str, Any]]:
    """Row errors as {row, column, message}, whatever the importer's exact item shape."""
    rows = []
    for item in errors or []:
        if isinstance(item, dict):
            rows.append(
                {
                    "row": item.get("row", item.get("line", "")),
                    "column": item.get("column", item.get("field", "")),
                    "message": item.get("message", item.get("error", "")),
                }
            )
        elif isinstance(item, list | tuple):
            padded = [*item, "", "", ""][:3]
            rows.append({"row": padded[0], "column": padded[1], "message": padded[2]})
        else:
            rows.append({"row": "", "column": "", "message": item})
    return rows


def _preview_table(preview: Any) -> dict[str, Any]:
    """The first valid rows in the importer's column order, with its column titles."""
    from neiqin.customers import importer

    rows = [row for row in list(preview or [])[:IMPORT_PREVIEW_ROWS] if isinstance(row, dict)]
    columns = importer.preview_columns()
    return {
        "headers": [title for _key, title in columns],
        "rows": [[row.get(key, "") for key, _t in columns] for row in rows],
    }


@login_required
@require_http_methods(["GET", "POST"])
@domain_errors
def import_start(request: HttpRequest) -> HttpResponse:
    user = request.user
    require(rules.can_import(user), _("只有销售内勤或管理员可以导入客户。"))
    from neiqin.customers import importer

    form = ImportUploadForm(request.POST or None, request.FILES or None)
    error = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > settings.NEIQIN_MAX_UPLOAD_BYTES:
            error = _("文件太大：最大 %(mb)s MB。") % {"mb": settings.NEIQIN_MAX_UPLOAD_BYTES // (1024 * 1024)}
        else:
            try:
                batch = importer.stage_customer_import(name=upload.name, data=upload.read(), by=user)
            except DomainError as exc:
                error = exc.message
            else:
                return redirect("customers:import_batch", batch_id=batch.pk)
    status = 422 if request.method == "POST" else 200
    batches = importer.import_batches_for(user=user)[:20]
    return render(
        request, "customers/import_start.html", {"form": form, "error": error, "batches": batches}, status=status
    )


@login_required
@require_GET
@domain_errors
def import_batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    require(rules.can_import(request.user), _("只有销售内勤或管理员可以导入客户。"))
    batch = _batch_for(request, batch_id)
    errors = _error_rows(batch.errors)
    context = {
        "batch": batch,
        "errors": errors,
        "preview": _preview_table(batch.preview),
        "valid_count": max(batch.row_count - batch.error_count, 0),
    }
    return render(request, "customers/import_batch.html", context)


@login_required
@require_POST
@domain_errors
def import_commit(request: HttpRequest, batch_id: int) -> HttpResponse:
    require(rules.can_import(request.user), _("只有销售内勤或管理员可以导入客户。"))
    from neiqin.customers import importer

    try:
        importer.commit_customer_import(batch_id=batch_id, by=request.user)
    except (NotFound, PermissionDenied):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    # On success the batch page itself shows the result (status 已导入 and the counts).
    return redirect("customers:import_batch", batch_id=batch_id)


@login_required
@require_POST
@domain_errors
def import_discard(request: HttpRequest, batch_id: int) -> HttpResponse:
    require(rules.can_import(request.user), _("只有销售内勤或管理员可以导入客户。"))
    from neiqin.customers import importer

    try:
        importer.discard_customer_import(batch_id=batch_id, by=request.user)
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect("customers:import_batch", batch_id=batch_id)
    messages.info(request, _("已放弃本次导入，没有写入任何数据。"))
    return redirect("customers:import")


@never_cache
@login_required
@require_GET
@domain_errors
def import_template(request: HttpRequest) -> HttpResponse:
    require(rules.can_import(request.user), _("只有销售内勤或管理员可以导入客户。"))
    from neiqin.customers import importer

    return attachment(
        importer.template_xlsx(),
        _("客户导入模板.xlsx"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
