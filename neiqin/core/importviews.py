"""Reusable web pages for an import on the generic pipeline (``core.imports``, SYS-3).

One ``ImportPages`` object gives an importer its five pages — upload (with the recent batches),
template download, batch preview with the row errors, commit and discard — and their
``urlpatterns``. The customer import keeps its own pages; products, prices and opening stock use
these::

    pages = ImportPages(
        importer=PRODUCT_IMPORTER,
        name="import",                    # url names: import, import_template, import_batch, …
        route="import/",                  # /catalog/import/, /catalog/import/template/, …
        namespace="catalog",
        labels=ImportLabels(title=gettext_lazy("导入产品"), noun=gettext_lazy("个产品"), …),
    )
    urlpatterns = [*pages.urlpatterns]

The importer supplies the permission check (``authorize``), the template (``template_xlsx()``)
and the preview columns (``preview_columns()``); the pages only parse, call and render.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from neiqin.core import imports
from neiqin.core.errors import DomainError, NotFound, PermissionDenied
from neiqin.core.pages import attachment, domain_errors

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECENT_BATCHES = 20


class PageImporter(Protocol):
    """What the pages need from an importer besides ``core.imports.Importer``."""

    kind: str

    def authorize(self, user: Any) -> None: ...

    def template_xlsx(self) -> bytes: ...

    def preview_columns(self) -> list[tuple[str, str]]: ...


@dataclass(frozen=True)
class ImportLabels:
    """Texts of one import's pages (lazy strings: resolved in the user's language)."""

    title: Any  # page title, e.g. 导入产品
    noun: Any  # what a row is, with its measure word, e.g. 个产品 ("确定导入 12 个产品？")
    template_name: Any  # download file name without extension, e.g. 产品导入模板
    list_url: str = ""  # url name of the list the imported rows appear in
    list_label: Any = ""  # e.g. 查看产品目录
    steps: Sequence[Any] = field(default_factory=tuple)  # extra instructions on the upload page


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Excel 或 CSV 文件"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.xls,.csv"}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["file"].error_messages["required"] = _("请选择要导入的文件。")


def error_rows(errors: Any) -> list[dict[str, Any]]:
    """Stored row errors as {row, column, message}."""
    rows = []
    for item in errors or []:
        if isinstance(item, dict):
            rows.append({"row": item.get("row", ""), "column": item.get("column", ""), "message": item.get("message")})
    return rows


def preview_table(preview: Any, columns: list[tuple[str, str]]) -> dict[str, Any]:
    """The stored preview rows in the importer's column order, with its column titles."""
    rows = [row for row in list(preview or [])[: imports.PREVIEW_ROWS] if isinstance(row, dict)]
    return {
        "headers": [title for _key, title in columns],
        "rows": [[row.get(key, "") for key, _title in columns] for row in rows],
    }


class ImportPages:
    """The five pages of one import, bound to an importer, url names and labels."""

    def __init__(
        self,
        *,
        importer: PageImporter,
        name: str,
        route: str,
        namespace: str,
        labels: ImportLabels,
    ) -> None:
        self.importer = importer
        self.name = name
        self.route = route
        self.namespace = namespace
        self.labels = labels

    # -- wiring --------------------------------------------------------------------------------

    def url_name(self, suffix: str = "") -> str:
        return f"{self.namespace}:{self.name}{'_' + suffix if suffix else ''}"

    @property
    def urlpatterns(self) -> list[Any]:
        base = self.route
        return [
            path(base, self._view(self.start, ["GET", "POST"]), name=self.name),
            path(f"{base}template/", never_cache(self._view(self.template, ["GET"])), name=f"{self.name}_template"),
            path(f"{base}<int:batch_id>/", self._view(self.batch, ["GET"]), name=f"{self.name}_batch"),
            path(f"{base}<int:batch_id>/commit/", self._view(self.commit, ["POST"]), name=f"{self.name}_commit"),
            path(f"{base}<int:batch_id>/discard/", self._view(self.discard, ["POST"]), name=f"{self.name}_discard"),
        ]

    def _view(self, method: Callable[..., HttpResponse], verbs: list[str]) -> Callable[..., HttpResponse]:
        decorate = {("GET",): require_GET, ("POST",): require_POST}.get(tuple(verbs)) or require_http_methods(verbs)
        view = login_required(decorate(domain_errors(method)))
        view.__name__ = f"{self.name}_{method.__name__}"
        return view

    def _context(self, **extra: Any) -> dict[str, Any]:
        list_url = ""
        if self.labels.list_url:
            try:
                list_url = reverse(self.labels.list_url)
            except NoReverseMatch:
                list_url = ""
        return {
            "labels": self.labels,
            "urls": {
                "start": self.url_name(),
                "template": self.url_name("template"),
                "batch": self.url_name("batch"),
                "commit": self.url_name("commit"),
                "discard": self.url_name("discard"),
            },
            "list_url": list_url,
            **extra,
        }

    def _visible_batch(self, request: HttpRequest, batch_id: int) -> Any:
        batch = imports.batches_for(self.importer, user=request.user).filter(pk=batch_id).first()
        if batch is None:
            raise NotFound(_("导入批次不存在或无权查看。请回到导入记录列表重新选择。"))
        return batch

    # -- views ---------------------------------------------------------------------------------

    def start(self, request: HttpRequest) -> HttpResponse:
        importer = self.importer
        importer.authorize(request.user)
        form = UploadForm(request.POST or None, request.FILES or None)
        error = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > settings.NEIQIN_MAX_UPLOAD_BYTES:
                error = _("文件太大：最大 %(mb)s MB。") % {"mb": settings.NEIQIN_MAX_UPLOAD_BYTES // (1024 * 1024)}
            else:
                try:
                    batch = imports.stage(importer, name=upload.name, data=upload.read(), by=request.user)
                except PermissionDenied:
                    raise
                except DomainError as exc:
                    error = exc.message
                else:
                    return redirect(self.url_name("batch"), batch_id=batch.pk)
        status = 422 if request.method == "POST" else 200
        batches = imports.batches_for(importer, user=request.user)[:RECENT_BATCHES]
        context = self._context(form=form, error=error, batches=batches)
        return render(request, "core/import_start.html", context, status=status)

    def template(self, request: HttpRequest) -> HttpResponse:
        importer = self.importer
        importer.authorize(request.user)
        return attachment(importer.template_xlsx(), f"{self.labels.template_name}.xlsx", XLSX_TYPE)

    def batch(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        importer = self.importer
        importer.authorize(request.user)
        batch = self._visible_batch(request, batch_id)
        context = self._context(
            batch=batch,
            errors=error_rows(batch.errors),
            preview=preview_table(batch.preview, importer.preview_columns()),
            valid_count=max(batch.row_count - batch.error_count, 0),
        )
        return render(request, "core/import_batch.html", context)

    def commit(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        try:
            imports.commit(self.importer, batch_id=batch_id, by=request.user)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            messages.error(request, exc.message)
        # On success the batch page itself shows the result (status 已导入 and the counts).
        return redirect(self.url_name("batch"), batch_id=batch_id)

    def discard(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        try:
            imports.discard(self.importer, batch_id=batch_id, by=request.user)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(self.url_name("batch"), batch_id=batch_id)
        messages.info(request, _("已放弃本次导入，没有写入任何数据。"))
        return redirect(self.url_name())
