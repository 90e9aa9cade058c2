"""Citizen pages: "my consents" (give, withdraw, download the receipt), "who read my data", "people I act for"
and "who acts for me", and the data export."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.identity import selectors as identity_selectors
from citycode.errors import DomainError
from citycode.localized import localized

from . import export, selectors, services
from .models import LegalBasis


@login_required
@require_GET
def my_consents(request):
    purposes = []
    for purpose in selectors.purpose_list().exclude(legal_basis=LegalBasis.STATUTORY):
        categories = list(purpose.categories.all())
        purposes.append({
            "purpose": purpose,
            "label": localized(purpose),
            "description": localized(purpose, "description"),
            "organizations": selectors.granted_organization_list(purpose=purpose),
            "ordinary": [(c, localized(c)) for c in categories if not c.sensitive],
            "sensitive": [(c, localized(c)) for c in categories if c.sensitive],
        })
    labels = selectors.category_labels_get()
    consents = [
        {
            "consent": c,
            "purpose_label": localized(c.purpose),
            "status": c.status,
            "categories": [labels.get(code, code) for code in c.categories],
            # Someone else (a guardian or carer) gave it: name them from the stored link, not the log label.
            "given_by_other": c.given_by if c.given_by_id not in (None, c.citizen_id) else None,
        }
        for c in selectors.consent_list(citizen=request.user)
    ]
    renewals = [
        {"consent": n["consent"], "purpose_label": localized(n["consent"].purpose),
         "categories": [labels.get(code, code) for code in n["categories"]]}
        for n in selectors.renewal_notice_list(citizen=request.user)
    ]
    return render(request, "consent/my_consents.html",
                  {"purposes": purposes, "consents": consents, "renewals": renewals})


@login_required
@require_POST
def consent_give(request):
    organization = None
    slug = request.POST.get("organization") or ""
    if slug:
        organization = identity_selectors.organization_get(slug=slug)
        if organization is None:
            messages.error(request, _("No such organization."))
            return redirect("consent-mine")
    try:
        services.consent_give(
            citizen=request.user,
            purpose=request.POST.get("purpose", ""),
            categories=request.POST.getlist("categories"),
            organization=organization,
            text_version=int(request.POST["text_version"]) if request.POST.get("text_version", "").isdigit() else None,
            sensitive_confirmed=request.POST.get("sensitive_confirmed") == "yes",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Consent given. You can withdraw it at any time."))
    return redirect("consent-mine")


@login_required
@require_POST
def consent_withdraw(request, consent_id: int):
    consent = selectors.consent_get(citizen=request.user, consent_id=consent_id)
    if consent is None:
        raise Http404
    services.consent_withdraw(consent=consent, actor=request.user)
    messages.success(request, _("Consent withdrawn. It no longer allows any disclosure."))
    return redirect("consent-mine")


@login_required
@require_GET
def consent_receipt(request, consent_id: int):
    consent = selectors.consent_get(citizen=request.user, consent_id=consent_id)
    if consent is None:
        raise Http404
    body = json.dumps({"consent_id": consent.pk, "receipt": consent.receipt,
                       "keys": request.build_absolute_uri("/api/v1/consent/receipt-keys")}, indent=2)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="consent-receipt-{consent.pk}.json"'
    return response


@login_required
@require_GET
def access_log(request):
    labels = selectors.category_labels_get()
    rows = [
        {
            "log": row,
            "categories": [labels.get(code, code) for code in row.categories],
            "denial": services.DENIAL_MESSAGES.get(row.reason, "") if row.reason else "",
            "actor": selectors.access_log_actor_get(row=row),
            "emergency": selectors.access_log_emergency_get(row=row),
            "purpose": localized(row.purpose) if row.purpose else row.purpose_code,
        }
        for row in selectors.access_log_list(citizen=request.user)[:200]
    ]
    return render(request, "consent/access_log.html", {"rows": rows})


# -- representation, both ways: "people I act for" and "who acts for me" --------------------------------------


def _consent_rows(representation) -> list[dict]:
    labels = selectors.category_labels_get()
    return [
        {
            "consent": c,
            "purpose_label": localized(c.purpose),
            "status": c.status,
            "categories": [labels.get(code, code) for code in c.categories],
        }
        for c in selectors.consent_in_scope_list(representation=representation).order_by("-given_at")
    ]


def _purposes_in_scope(representation) -> list[dict]:
    """The purposes a representative may give consent for: the representation's scope (empty = all)."""
    rows = []
    for purpose in selectors.purpose_list().exclude(legal_basis=LegalBasis.STATUTORY):
        if representation.purposes and purpose.code not in representation.purposes:
            continue
        categories = list(purpose.categories.all())
        rows.append({
            "purpose": purpose,
            "label": localized(purpose),
            "organizations": selectors.granted_organization_list(purpose=purpose),
            "ordinary": [(c, localized(c)) for c in categories if not c.sensitive],
            "sensitive": [(c, localized(c)) for c in categories if c.sensitive],
        })
    return rows


@login_required
@require_GET
def representation_page(request):
    people = [
        {"representation": r, "person": r.represented, "consents": _consent_rows(r),
         "purposes": _purposes_in_scope(r)}
        for r in selectors.representation_list(representative=request.user).order_by("pk")
    ]
    representatives = [
        {"representation": r, "person": r.representative,
         "can_end": r.kind == r.Kind.CARER or not r.represented.is_minor}
        for r in selectors.representative_list(represented=request.user).order_by("pk")
    ]
    return render(request, "consent/representation.html", {"people": people, "representatives": representatives})


@login_required
@require_POST
def acting_for_consent_give(request, citizen_id: int):
    person = selectors.represented_citizen_get(representative=request.user, citizen_id=citizen_id)
    if person is None:
        raise Http404
    organization = None
    slug = request.POST.get("organization") or ""
    if slug:
        organization = identity_selectors.organization_get(slug=slug)
        if organization is None:
            messages.error(request, _("No such organization."))
            return redirect("consent-representation")
    try:
        services.consent_give(
            citizen=person,
            purpose=request.POST.get("purpose", ""),
            categories=request.POST.getlist("categories"),
            organization=organization,
            text_version=int(request.POST["text_version"]) if request.POST.get("text_version", "").isdigit() else None,
            actor=request.user,
            sensitive_confirmed=request.POST.get("sensitive_confirmed") == "yes",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Consent given for %(name)s. You or they can withdraw it at any time.")
                         % {"name": person.name or person.username})
    return redirect("consent-representation")


@login_required
@require_POST
def acting_for_consent_withdraw(request, consent_id: int):
    consent = selectors.actionable_consent_get(actor=request.user, consent_id=consent_id)
    if consent is None or consent.citizen_id == request.user.pk:
        raise Http404
    try:
        services.consent_withdraw(consent=consent, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Consent withdrawn. It no longer allows any disclosure."))
    return redirect("consent-representation")


@login_required
@require_POST
def representation_end(request, representation_id: int):
    representation = selectors.representation_get(citizen=request.user, representation_id=representation_id)
    if representation is None:
        raise Http404
    try:
        services.representation_end(representation=representation, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The representation has ended."))
    return redirect("consent-representation")


# -- the data export: a page to read and a file to keep ------------------------------------------------------


def _readable(value, key: str = "") -> dict:
    """The export as a tree the page renders recursively: mappings, lists and plain values."""
    label = key.replace("_", " ")
    if isinstance(value, dict):
        return {"kind": "map", "label": label, "items": [_readable(v, str(k)) for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return {"kind": "list", "label": label, "items": [_readable(v) for v in value]}
    if value is None or value == "":
        return {"kind": "empty", "label": label}
    if isinstance(value, bool):
        return {"kind": "value", "label": label, "value": _("yes") if value else _("no")}
    return {"kind": "value", "label": label, "value": value}


@login_required
@require_GET
def export_page(request):
    data = export.export_for(citizen=request.user)
    titles = export.export_titles()
    sections = []
    for name, value in data.items():
        if name == "code_types":
            for key, part in value.items():
                sections.append({"name": f"code_types-{key}", "title": titles.get(f"code_types.{key}", key),
                                 "tree": _readable(part)})
        else:
            sections.append({"name": name, "title": titles.get(name, name), "tree": _readable(value)})
    return render(request, "consent/export.html", {"sections": sections})


@login_required
@require_GET
def export_download(request):
    body = json.dumps(export.export_for(citizen=request.user), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="citycode-export.json"'
    return response


# -- public: the data-resource catalogue and the transparency report (no sign-in) ------------------------------


def _label(item: dict, language: str) -> str:
    return item["label_en"] if language.startswith("en") else item["label_zh"]


@require_GET
def public_catalogue(request):
    from django.utils.translation import get_language

    from . import transparency

    language = get_language() or "zh-hans"
    data = transparency.public_catalogue_get()
    categories = {c["code"]: c for c in data["categories"]}
    for purpose in data["purposes"]:
        purpose["label"] = _label(purpose, language)
        purpose["description"] = purpose["description_en"] if language.startswith("en") else purpose["description_zh"]
        purpose["category_labels"] = [_label(categories[c], language) if c in categories else c
                                      for c in purpose["categories"]]
    for item in (*data["code_types"], *data["categories"]):
        item["label"] = _label(item, language)
    return render(request, "consent/public_catalogue.html", {"catalogue": data})


@require_GET
def transparency_report(request, month: str | None = None):
    from django.utils import timezone

    from . import transparency
    from .api.public_views import month_parse

    if month is None:
        today = timezone.localdate()
        month = f"{today.year:04d}-{today.month:02d}"
    try:
        year, number = month_parse(month)
    except DomainError:
        raise Http404 from None
    report = transparency.transparency_report_get(year=year, month=number)
    for row in report["rows"]:
        row["cells"] = [row[column] for column in transparency.REPORT_COLUMNS]
    previous = f"{year - (number == 1):04d}-{(number - 2) % 12 + 1:02d}"
    return render(request, "consent/transparency.html", {"report": report, "previous": previous})
