"""Pages: the verifier page. ("My codes" is drawn on the identity home page by templates/codes/my_codes.html.)"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods

from apps.consent import selectors as consent_selectors
from apps.identity.permissions import organizations_for
from citycode.errors import DomainError
from citycode.localized import localized

from . import scan, scan_image
from .forms import VerifyForm
from .plugin_api import UnknownCodeType
from .plugin_api import registry as code_types


def _display(value) -> str:
    """A category's value as a verifier reads it."""
    if value is None:
        return _("(not available)")
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, list | tuple):
        return pgettext("list separator", ", ").join(_display(item) for item in value) if value else "—"
    if isinstance(value, dict):
        return "; ".join(str(item) for item in value.values())
    return str(value)


def _row(category: str, label: str, value) -> dict:
    """One line of the result: a plain value, or a structured one as labelled parts (the code type's labels)."""
    if isinstance(value, dict):
        parts = [(code_types.field_label(category, key), _display(item)) for key, item in value.items()]
        return {"code": category, "label": label, "value": "", "parts": parts}
    return {"code": category, "label": label, "value": _display(value), "parts": []}


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """A signed-in staff member scans a code for one of their organizations and one purpose."""
    organizations = list(organizations_for(user=request.user))
    if not organizations:
        return render(request, "codes/verify_forbidden.html", status=403)
    purposes = list(consent_selectors.purpose_list())
    form = VerifyForm(
        request.POST or None,
        request.FILES or None,
        organizations=[(org.slug, org.display_name) for org in organizations],
        purposes=[(p.code, localized(p)) for p in purposes],
    )
    result = refusal = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            organization = next(org for org in organizations if org.slug == form.cleaned_data["organization"])
            try:
                token = form.cleaned_data["token"] or scan_image.token_from_image(form.cleaned_data["image"])
                result = scan.code_scan(
                    organization=organization,
                    purpose=form.cleaned_data["purpose"],
                    token=token,
                    actor=request.user,
                    request_id=request.headers.get("X-Request-ID", "")[:64],
                )
            except DomainError as exc:
                refusal, status = exc, exc.status_code
        else:
            status = 400
    rows = []
    basis_label = code_type_label = ""
    if result is not None:
        labels = consent_selectors.category_labels_get()
        rows = [_row(code, labels.get(code, code), value) for code, value in result.data.items()]
        basis_label = consent_selectors.legal_basis_label_get(basis=result.basis)
        try:
            code_type_label = code_types.get(result.code_type).label()
        except UnknownCodeType:
            code_type_label = result.code_type
    purpose_label = {p.code: localized(p) for p in purposes}
    return render(
        request,
        "codes/verify.html",
        {
            "form": form,
            "result": result,
            "rows": rows,
            "refusal": refusal,
            "purpose_label": purpose_label.get(result.purpose, result.purpose) if result else "",
            "basis_label": basis_label,
            "code_type_label": code_type_label,
        },
        status=status,
    )
