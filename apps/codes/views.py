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


# -- the department's code-type designer (issue 12): define a code type with no code, with a live preview ----


def _designer_departments(user):
    from apps.identity.models import Organization
    from apps.identity.permissions import MANAGE

    return [o for o in organizations_for(user=user, perm=MANAGE) if o.kind == Organization.Kind.DEPARTMENT]


def _designer_input(data) -> dict:
    import json

    def parsed(name, default):
        try:
            return json.loads(data.get(name) or "null") if data.get(name) else default
        except ValueError:
            return default

    return {"key": (data.get("key") or "").strip(), "label_zh": (data.get("label_zh") or "").strip()[:100],
            "label_en": (data.get("label_en") or "").strip()[:100], "claims_schema": parsed("claims_schema", None),
            "field_labels": parsed("field_labels", None), "purposes": parsed("purposes", None)}


@login_required
@require_http_methods(["GET", "POST"])
def designer(request):
    """A department's manager defines a code type (or a new version) for the data bureau to publish."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.shortcuts import redirect

    from . import services
    from .models import DefinedCodeTypeVersion

    departments = _designer_departments(request.user)
    if not departments:
        return render(request, "codes/verify_forbidden.html", status=403)
    if request.method == "POST":
        department = next((d for d in departments if d.slug == request.POST.get("department")), None)
        fields = _designer_input(request.POST)
        try:
            lifetime = int(request.POST.get("lifetime_seconds") or 0)
            issuers = [s.strip() for s in (request.POST.get("issuers") or "").split(",") if s.strip()]
            version = services.defined_type_propose(
                proposer=request.user, department=department, lifetime_seconds=lifetime, issuers=issuers, **fields)
        except (DomainError, ValidationError, ValueError) as exc:
            message = exc.message if isinstance(exc, DomainError) else " ".join(getattr(exc, "messages", [str(exc)]))
            messages.error(request, message)
        else:
            messages.success(request, _("Version %(version)s of %(key)s is proposed: the data bureau publishes it.")
                             % {"version": version.version, "key": version.code_type.key})
            return redirect("codes-designer")
    versions = (DefinedCodeTypeVersion.objects.filter(code_type__department__in=departments)
                .select_related("code_type").order_by("-created_at")[:50])
    return render(request, "codes/designer.html", {
        "departments": departments, "versions": versions, "form": request.POST if request.method == "POST" else {},
        # A starting point the preview can show at once.
        "example_schema": '{"type": "object", "properties": {"level": {"enum": ["A", "B"]}}, "required": ["level"]}',
        "example_labels": '{"level": ["等级", "Level"]}', "example_sample": '{"level": "A"}',
    })


@login_required
@require_http_methods(["POST"])
def designer_preview(request):
    """The live preview: JSON in, problems and the rendered code out. Writes nothing."""
    import json

    from django.http import JsonResponse

    from .defined import definition_preview

    if not _designer_departments(request.user):
        return JsonResponse({"ok": False, "errors": {"department": _("Only a city department may define a code "
                                                                     "type.")}}, status=403)
    fields = _designer_input(request.POST)
    try:
        sample = json.loads(request.POST.get("sample_claims") or "{}")
    except ValueError:
        sample = None
    return JsonResponse(definition_preview(sample_claims=sample, **fields))
