"""The Exports page: request an export, follow its progress, cancel it, download it.

Any signed-in user may export the public data; curators may also export everything. Each user
sees, cancels and downloads only their own exports.
"""

from datetime import UTC, datetime, time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.models import Site
from common.errors import DomainError
from leaderboards import services
from leaderboards.models import Export, ExportFormat, ExportScope, ExportTable

PAGE = "leaderboards/exports.html"


class ExportForm(forms.Form):
    tables = forms.MultipleChoiceField(choices=ExportTable.choices, widget=forms.CheckboxSelectMultiple,
                                       initial=ExportTable.values)  # fmt: skip
    format = forms.ChoiceField(choices=ExportFormat.choices, widget=forms.RadioSelect, initial=ExportFormat.PARQUET)
    scope = forms.ChoiceField(choices=ExportScope.choices, widget=forms.RadioSelect, initial=ExportScope.PUBLIC)
    site = forms.ModelChoiceField(queryset=Site.objects.all(), to_field_name="slug", required=False,
                                  empty_label="All sites")  # fmt: skip
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            help_text="Only rows created on or after this day (reviews: changed).")  # fmt: skip

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not services.may_export_everything(user):
            del self.fields["scope"]

    def request_kwargs(self) -> dict:
        data = self.cleaned_data
        since = datetime.combine(data["since"], time.min, tzinfo=UTC) if data["since"] else None
        return {"tables": data["tables"], "format": data["format"], "site": data["site"], "since": since,
                "scope": data.get("scope") or ExportScope.PUBLIC}  # fmt: skip


def _own_export(request, pk: int) -> Export:
    return get_object_or_404(Export.objects.select_related("site"), pk=pk, requested_by=request.user)


@login_required
@require_http_methods(["GET", "POST"])
def exports(request):
    form = ExportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            export = services.export_request(user=request.user, **form.request_kwargs())
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Export #{export.pk} is queued; this page shows its progress.")
            return redirect("leaderboards:exports")
    rows = list(request.user.exports.select_related("site")[:50])
    status = 400 if form.errors else 200
    context = {"form": form, "exports": rows, "any_active": any(e.is_active for e in rows),
               "keep_days": settings.QUORUM_EXPORT_KEEP_DAYS}  # fmt: skip
    return render(request, PAGE, context, status=status)


@login_required
@require_GET
def export_detail(request, pk: int):
    """One export's row: what the htmx poll swaps in (a plain request gets the whole page)."""
    export = _own_export(request, pk)
    if not request.htmx:
        return redirect("leaderboards:exports")
    return render(request, f"{PAGE}#row", {"export": export})


@login_required
@require_POST
def export_cancel(request, pk: int):
    export = _own_export(request, pk)
    try:
        export = services.export_cancel(export=export, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    if request.htmx:
        return render(request, f"{PAGE}#row", {"export": export})
    return redirect("leaderboards:exports")


@login_required
@require_GET
def export_download(request, pk: int):
    export = _own_export(request, pk)
    return export_file_response(export)


def export_file_response(export: Export) -> FileResponse:
    """The archive, streamed from disk (shared by the page and the API)."""
    if not export.is_downloadable:
        raise Http404("This export has no file (not ready, failed, or removed after its time).")
    try:
        stream = open(services.export_path(export), "rb")  # noqa: SIM115 — FileResponse closes it
    except FileNotFoundError:
        raise Http404("This export's file is gone; request it again.") from None
    return FileResponse(stream, as_attachment=True, filename=export.file_name, content_type="application/zip")
