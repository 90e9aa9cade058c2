"""Citizen pages: "my consents" (give, withdraw, download the receipt) and "who read my data"."""

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

from . import selectors, services
from .models import LegalBasis


@login_required
@require_GET
def my_consents(request):
    purposes = []
    for purpose in selectors.purposes_list().exclude(legal_basis=LegalBasis.STATUTORY):
        categories = list(purpose.categories.all())
        purposes.append({
            "purpose": purpose,
            "label": localized(purpose),
            "description": localized(purpose, "description"),
            "organizations": selectors.organizations_granted(purpose=purpose),
            "ordinary": [(c, localized(c)) for c in categories if not c.sensitive],
            "sensitive": [(c, localized(c)) for c in categories if c.sensitive],
        })
    labels = selectors.category_labels()
    consents = [
        {
            "consent": c,
            "purpose_label": localized(c.purpose),
            "status": c.status,
            "categories": [labels.get(code, code) for code in c.categories],
            # Someone else (a guardian or carer) gave it: name them from the stored link, not the log label.
            "given_by_other": c.given_by if c.given_by_id not in (None, c.citizen_id) else None,
        }
        for c in selectors.consents_for(citizen=request.user)
    ]
    renewals = [
        {"consent": n["consent"], "purpose_label": localized(n["consent"].purpose),
         "categories": [labels.get(code, code) for code in n["categories"]]}
        for n in selectors.renewal_notices(citizen=request.user)
    ]
    return render(request, "consent/my_consents.html",
                  {"purposes": purposes, "consents": consents, "renewals": renewals})


@login_required
@require_POST
def consent_give(request):
    organization = None
    slug = request.POST.get("organization") or ""
    if slug:
        organization = identity_selectors.organization_by_slug(slug=slug)
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
    consent = selectors.consent_of(citizen=request.user, consent_id=consent_id)
    if consent is None:
        raise Http404
    services.consent_withdraw(consent=consent, actor=request.user)
    messages.success(request, _("Consent withdrawn. It no longer allows any disclosure."))
    return redirect("consent-mine")


@login_required
@require_GET
def consent_receipt(request, consent_id: int):
    consent = selectors.consent_of(citizen=request.user, consent_id=consent_id)
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
    labels = selectors.category_labels()
    rows = [
        {
            "log": row,
            "categories": [labels.get(code, code) for code in row.categories],
            "denial": services.DENIAL_MESSAGES.get(row.reason, "") if row.reason else "",
            "actor": selectors.actor_display(label=row.actor_label),
            "purpose": localized(row.purpose) if row.purpose else row.purpose_code,
        }
        for row in selectors.access_log_for(citizen=request.user)[:200]
    ]
    return render(request, "consent/access_log.html", {"rows": rows})
