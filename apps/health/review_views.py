"""Pages: the citizen's health code (colour, why, next change, history, declaration and appeal forms) and the
commission's review queue (manual changes to approve, appeals to answer, alerts; the data bureau sees alerts)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.codes.plugin_api import DomainError, emergency_active_get

from . import review_selectors, review_services, selectors, services
from .models import Appeal, EpidemicReason, ManualChange, Symptom


def _reason_label(code: str) -> str:
    try:
        return str(EpidemicReason(code).label)
    except ValueError:
        return code


def _fail(request, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, str(getattr(exc, "message", exc)))


@login_required
@require_GET
def my_health_code(request):
    citizen = request.user
    emergency = emergency_active_get(purpose=review_services.EPIDEMIC_CONTROL)
    colour = selectors.colour_get(citizen=citizen)
    transitions = [
        {"t": t, "cause": t.get_cause_display(), "reason": _reason_label(t.reason_code) if t.reason_code else "",
         "reasons": t.reasons, "answer": (t.detail or {}).get("answer", "")}
        for t in selectors.transition_list(citizen=citizen)[:50]
    ]
    return render(request, "health/my_health_code.html", {
        "emergency": emergency,
        "colour": colour.colour if colour else "green",
        "colour_label": colour.get_colour_display() if colour else _("Green"),
        "colour_row": colour,
        "latest": transitions[0] if transitions else None,
        "transitions": transitions,
        "appeals": review_selectors.appeal_list(citizen=citizen).order_by("-filed_at")[:10],
        "grounds": Appeal.Grounds.choices,
        "symptoms": Symptom.choices,
        "today": timezone.localdate(),
        "yesterday": timezone.localdate() - dt.timedelta(days=1),
    })


@login_required
@require_POST
def declaration_post(request):
    try:
        date = dt.date.fromisoformat(request.POST.get("date", ""))
        services.declaration_submit(citizen=request.user, date=date, fever=request.POST.get("fever") == "yes",
                                    symptoms=request.POST.getlist("symptoms"))
    except ValueError:
        messages.error(request, _("Choose the day you declare for."))
    except (DomainError, ValidationError) as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("Thank you: your declaration is recorded."))
    return redirect("health-mine")


@login_required
@require_POST
def appeal_post(request):
    try:
        review_services.appeal_file(citizen=request.user, grounds=request.POST.get("grounds", ""),
                                    statement=request.POST.get("statement", ""),
                                    evidence_reference=request.POST.get("evidence_reference", ""))
    except (DomainError, ValidationError) as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("Your appeal is filed. The health commission must answer within 48 hours."))
    return redirect("health-mine")


def _reviewer(request) -> tuple[bool, bool]:
    """(may review: commission staff, may see alerts: commission or data bureau). Neither: 403."""
    commission = review_selectors.commission_staff_exists(user=request.user)
    alerts = commission or review_selectors.alert_viewer_exists(user=request.user)
    if not alerts:
        raise PermissionDenied
    return commission, alerts


@login_required
@require_GET
def review_queue(request):
    commission, _alerts = _reviewer(request)
    context = {"commission": commission, "alerts": review_selectors.alert_list()[:100]}
    if commission:
        context.update({
            "pending": [
                {"change": c, "reason": _reason_label(c.reason_code), "own": c.requested_by_id == request.user.pk}
                for c in review_selectors.manual_change_list(state=ManualChange.State.PENDING)[:200]
            ],
            "appeals": review_selectors.appeal_list(open_only=True)[:200],
            "reasons": EpidemicReason.choices,
            "colours": [("green", _("Green")), ("yellow", _("Yellow")), ("red", _("Red"))],
        })
    return render(request, "health/review_queue.html", context)


@login_required
@require_POST
def manual_change_post(request):
    commission, _alerts = _reviewer(request)
    if not commission:
        raise PermissionDenied
    numbers = [n.strip() for n in request.POST.get("id_numbers", "").split() if n.strip()]
    citizens, unknown = review_selectors.citizen_match_list(id_numbers=numbers)
    if not numbers or unknown:
        messages.error(request, _("No registered citizen has the ID number on lines %(lines)s; nothing was requested.")
                       % {"lines": ", ".join(str(p + 1) for p in unknown) or "-"})
        return redirect("health-review")
    try:
        changes = review_services.manual_change_batch_request(
            requested_by=request.user, citizens=citizens, to_colour=request.POST.get("to_colour", ""),
            reason_code=request.POST.get("reason_code", ""), legal_reference=request.POST.get("legal_reference", ""),
            note=request.POST.get("note", ""), venue=request.POST.get("venue", ""))
    except (DomainError, ValidationError) as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("%(n)d change(s) requested: a second officer must approve them.")
                         % {"n": len(changes)})
    return redirect("health-review")


@login_required
@require_POST
def manual_change_decide(request, pk: int):
    change = review_selectors.manual_change_get(pk=pk)
    if change is None:
        messages.error(request, _("No such manual change."))
        return redirect("health-review")
    try:
        if request.POST.get("decision") == "approve":
            review_services.manual_change_approve(change=change, approved_by=request.user,
                                                  note=request.POST.get("note", ""))
            messages.success(request, _("Approved: the colour has changed."))
        else:
            review_services.manual_change_reject(change=change, rejected_by=request.user,
                                                 note=request.POST.get("note", ""))
            messages.success(request, _("Rejected: the colour stays."))
    except (DomainError, ValidationError) as exc:
        _fail(request, exc)
    return redirect("health-review")


@login_required
@require_POST
def appeal_answer_post(request, pk: int):
    appeal = review_selectors.appeal_get(pk=pk)
    if appeal is None:
        messages.error(request, _("No such appeal."))
        return redirect("health-review")
    try:
        review_services.appeal_answer(appeal=appeal, answered_by=request.user,
                                      accept=request.POST.get("decision") == "accept",
                                      answer=request.POST.get("answer", ""),
                                      to_colour=request.POST.get("to_colour", "green"))
    except (DomainError, ValidationError) as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("The appeal is answered."))
    return redirect("health-review")

