"""Pages: the patient books (seeing places left) and sees their appointments; the hospital desk checks patients in
by code and sees the queue; the waiting-room screen shows the numbers. The same services and gate as the API."""

import datetime as dt
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.codes.plugin_api import DomainError, code_scan, token_from_image

from . import selectors, services
from .code_type import REGISTRATION
from .errors import MedicalErrorCode
from .forms import CheckInForm
from .models import AppointmentStatus
from .pages_data import queue_view, staff_hospital

BOOKING_DAYS = 7


def _staff_hospital_or_404(request, slug):
    try:
        return staff_hospital(user=request.user, slug=slug)
    except DomainError as exc:
        if exc.code == MedicalErrorCode.NOT_HOSPITAL_STAFF:
            return None
        raise Http404(exc.message) from None


@login_required
def book(request):
    """Sessions of the next days, by hospital, with the places left; a button books one."""
    hospitals = list(selectors.hospital_list())
    chosen = next((h for h in hospitals if h.slug == request.GET.get("hospital")), hospitals[0] if hospitals else None)
    today = timezone.localdate()
    sessions = []
    if chosen is not None:
        sessions = [s for s in selectors.clinic_session_list(
            hospital=chosen, date_from=today, date_to=today + dt.timedelta(days=BOOKING_DAYS))
            if s.end > timezone.now()]
    mine = set(selectors.appointment_list(patient=request.user, statuses=(
        AppointmentStatus.PENDING, AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED)).values_list(
        "session_id", flat=True))
    days = [(day, list(items)) for day, items in groupby(sessions, key=lambda s: s.date)]
    return render(request, "medical/book.html", {
        "hospitals": hospitals, "chosen": chosen, "days": days, "mine": mine,
    })


@login_required
@require_POST
def book_submit(request):
    try:
        session_id = int(request.POST.get("session", ""))
    except ValueError:
        session_id = 0
    session = selectors.clinic_session_get(pk=session_id) if session_id > 0 else None
    if session is None:
        messages.error(request, _("No such session."))
        return redirect("medical-book")
    try:
        appointment = services.appointment_book(patient=request.user, session=session,
                                                idempotency_key=request.POST.get("key", "")[:64])
    except DomainError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(f"{reverse('medical-book')}?hospital={session.hospital.slug}")
    if appointment.status == AppointmentStatus.PENDING:
        messages.success(request, _("Place %(place)d is held for you until %(until)s: pay the fee to keep it.") % {
            "place": appointment.place_no, "until": timezone.localtime(appointment.held_until).strftime("%H:%M")})
    else:
        messages.success(request, _("Booked: place %(place)d.") % {"place": appointment.place_no})
    return redirect("medical-mine")


@login_required
def mine(request):
    appointments = selectors.appointment_list(patient=request.user)[:100]
    return render(request, "medical/mine.html", {"appointments": appointments, "now": timezone.now()})


@login_required
@require_POST
def cancel(request, appointment_id: int):
    appointment = selectors.appointment_get(pk=appointment_id, patient=request.user)
    if appointment is None:
        raise Http404(_("No such appointment."))
    try:
        services.appointment_cancel(appointment=appointment, patient=request.user)
        messages.success(request, _("Your booking is cancelled and the place is free again."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("medical-mine")


@login_required
def desk_index(request):
    hospitals = list(selectors.hospital_list(staff=request.user))
    if len(hospitals) == 1:
        return redirect("medical-desk", slug=hospitals[0].slug)
    return render(request, "medical/desk_index.html", {"hospitals": hospitals}, status=200 if hospitals else 403)


@login_required
@require_http_methods(["GET", "POST"])
def desk(request, slug: str):
    """Check in by code, and today's sessions with their queues."""
    hospital = _staff_hospital_or_404(request, slug)
    if hospital is None:
        return render(request, "medical/desk_index.html", {"hospitals": []}, status=403)
    form = CheckInForm(request.POST or None, request.FILES or None)
    check_in = refusal = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                token = form.cleaned_data["token"] or token_from_image(form.cleaned_data["image"])
                result = code_scan(organization=hospital, purpose=REGISTRATION, token=token, actor=request.user,
                                   request_id=request.headers.get("X-Request-ID", "")[:64])
                check_in = (result.action or {}).get("check_in")
                form = CheckInForm()
            except DomainError as exc:
                refusal, status = exc, exc.status_code
        else:
            status = 400
    today = timezone.localdate()
    sessions = selectors.clinic_session_list(hospital=hospital, date_from=today, date_to=today)
    queues = [queue_view(session=s) for s in sessions]
    return render(request, "medical/desk.html", {
        "hospital": hospital, "form": form, "check_in": check_in, "refusal": refusal, "queues": queues,
    }, status=status)


@login_required
@require_POST
def desk_fulfil(request, slug: str, appointment_id: int):
    hospital = _staff_hospital_or_404(request, slug)
    if hospital is None:
        raise Http404
    appointment = selectors.appointment_get(pk=appointment_id, hospital=hospital)
    if appointment is None:
        raise Http404
    try:
        services.appointment_fulfil(by=request.user, appointment=appointment)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("medical-desk", slug=slug)


@login_required
def screen(request, slug: str, session_id: int):
    """The waiting-room screen: numbers only, never a name; refreshes itself."""
    hospital = _staff_hospital_or_404(request, slug)
    if hospital is None:
        raise Http404
    session = selectors.clinic_session_get(pk=session_id, hospital=hospital)
    if session is None:
        raise Http404
    return render(request, "medical/screen.html", {"queue": queue_view(session=session), "hospital": hospital})
