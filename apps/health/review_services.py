"""Writes for review: manual colour changes (two officers), alerts, appeals, the epidemic-control purpose key and
the retention of health evidence once no emergency needs it.

A colour changes only through ``services.colour_set``: by rule evaluation (health's services), by a manual change
approved by a second officer (cause ``manual``), or by an accepted appeal (cause ``appeal``).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.codes.plugin_api import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    emergency_active_get,
    purpose_grant_active_check,
    secret_key_derive,
)

from . import purpose_keys
from .errors import HealthReviewErrorCode
from .models import (
    EPIDEMIC_REASONS,
    Alert,
    Appeal,
    CaseListRow,
    CaseRecord,
    CitizenColour,
    ColourTransition,
    Declaration,
    ManualChange,
    PurposeKey,
    TestResult,
    TravelRecord,
    Vaccination,
)
from .services import colour_set, commission_for

EPIDEMIC_CONTROL = "health.epidemic_control"
_KEY_INFO = "health/purpose-keys/v1"
# A token sealed at 23:59 is presented until it expires: a day's key stays valid this long after midnight.
KEY_GRACE = dt.timedelta(minutes=10)


# -- the purpose key ---------------------------------------------------------------------------------------------


def _wrapping() -> AESGCM:
    return AESGCM(secret_key_derive(info=_KEY_INFO))


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
    return start, end + KEY_GRACE


def purpose_key_ensure(*, day: dt.date) -> PurposeKey:
    """The purpose key of one local day, created (random, stored encrypted) when missing. Race-safe: the day is
    unique, so a concurrent creator's key wins and both return it."""
    existing = PurposeKey.objects.filter(day=day).first()
    if existing is not None:
        return existing
    kid = purpose_keys.kid_new()
    while PurposeKey.objects.filter(kid=kid).exists():  # a short kid; a fresh one on the rare collision
        kid = purpose_keys.kid_new()
    key = os.urandom(purpose_keys.KEY_BYTES)
    nonce = os.urandom(12)
    valid_from, valid_until = _day_bounds(day)
    row = PurposeKey(day=day, kid=kid, key_encrypted=nonce + _wrapping().encrypt(nonce, key, kid.encode("ascii")),
                     valid_from=valid_from, valid_until=valid_until)
    # Uniqueness is the database's to decide: a concurrent creator's row makes the insert fail, and its key wins.
    row.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        return PurposeKey.objects.get(day=day)
    return row


def purpose_key_material(*, key: PurposeKey) -> purpose_keys.PurposeKey:
    """The decrypted key as a verifier holds it. A wiped key, or one moved to another row, does not open."""
    blob = bytes(key.key_encrypted)
    if key.wiped_at is not None or len(blob) < 12:
        raise DomainError(HealthReviewErrorCode.PURPOSE_KEY_WIPED, _("This purpose key has been wiped."))
    try:
        material = _wrapping().decrypt(blob[:12], blob[12:], key.kid.encode("ascii"))
    except InvalidTag:
        raise DomainError(HealthReviewErrorCode.PURPOSE_KEY_WIPED, _("This purpose key does not open.")) from None
    return purpose_keys.PurposeKey(kid=key.kid, key=material, valid_from=key.valid_from, valid_until=key.valid_until)


def colour_seal(*, colour: str, now: dt.datetime | None = None) -> str:
    """``colour`` sealed under today's purpose key, with a fresh IV (a new ciphertext for every token), as the
    base64url text the token carries."""
    day = timezone.localdate(now or timezone.now())
    material = purpose_key_material(key=purpose_key_ensure(day=day))
    return purpose_keys.seal_text(colour, kid=material.kid, key=material.key)


def purpose_keys_rotate(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """Beat task: today's and tomorrow's keys exist; keys no token can still use are wiped (the bytes are gone,
    so an old photographed code's colour can never be read again). Idempotent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    created = [purpose_key_ensure(day=day).kid for day in (today, today + dt.timedelta(days=1))]
    wiped = PurposeKey.objects.filter(valid_until__lte=now, wiped_at__isnull=True).update(
        key_encrypted=b"", wiped_at=now)
    return {"keys": created, "wiped": wiped}


def verifier_package_issue(*, organization: Any, now: dt.datetime | None = None) -> dict[str, Any]:
    """The purpose keys a verifier needs to read the colour offline: only for an organization with an active
    epidemic-control grant (a revoked or expired grant gets nothing new), and only while an emergency covering
    epidemic control lasts. Today's key; tomorrow's too in the last hours of the day, so a gate that is offline
    over midnight keeps reading colours."""
    now = now or timezone.now()
    if not purpose_grant_active_check(organization=organization, purpose=EPIDEMIC_CONTROL):
        raise Forbidden(HealthReviewErrorCode.NO_EPIDEMIC_CONTROL_GRANT,
                        _("Only organizations with an active epidemic-control grant receive the purpose key."))
    emergency = emergency_active_get(purpose=EPIDEMIC_CONTROL, now=now)
    days: list[dt.date] = []
    if emergency is not None:
        today = timezone.localdate(now)
        days = [today]
        prefetch = dt.timedelta(hours=settings.CITYCODE_HEALTH_PURPOSE_KEY_PREFETCH_HOURS)
        if timezone.localtime(now) + prefetch >= _day_bounds(today)[1] - KEY_GRACE:
            days.append(today + dt.timedelta(days=1))
        if timezone.localtime(now) < _day_bounds(today)[0] + KEY_GRACE:
            days.insert(0, today - dt.timedelta(days=1))
    keys = []
    for day in days:
        row = purpose_key_ensure(day=day)
        if row.wiped_at is None and row.valid_until > now:
            keys.append(purpose_key_material(key=row).to_jwk())
    return {
        "purpose": EPIDEMIC_CONTROL,
        "organization": organization.slug,
        "issued_at": int(now.timestamp()),
        "emergency": None if emergency is None else {"name": emergency.name,
                                                     "ends_at": int(emergency.ends_at.timestamp())},
        # Refetch before this (hourly at most): a revoked grant then stops receiving keys within the hour.
        "refresh_after": int((now + dt.timedelta(hours=1)).timestamp()),
        "keys": keys,
    }


# -- manual changes ----------------------------------------------------------------------------------------------


def _check_reason(reason_code: str, legal_reference: str) -> None:
    if reason_code not in EPIDEMIC_REASONS:
        raise DomainError(HealthReviewErrorCode.REASON_NOT_EPIDEMIC,
                          _("A manual change must name an epidemiological reason from the list."))
    if not legal_reference.strip():
        raise DomainError(HealthReviewErrorCode.LEGAL_REFERENCE_REQUIRED,
                          _("A manual change must cite its legal reference."))


def _current_colour(citizen: Any) -> str:
    row = CitizenColour.objects.filter(citizen=citizen).values_list("colour", flat=True).first()
    return row or "green"


@transaction.atomic
def manual_change_request(*, requested_by: Any, citizen: Any, to_colour: str, reason_code: str,
                          legal_reference: str, note: str = "", venue: str = "", batch: str = "",
                          now: dt.datetime | None = None, alert: bool = True) -> ManualChange:
    """A health-commission officer asks to change one citizen's colour. Nothing changes until a second officer
    approves. Idempotent per (batch, citizen): asking again in the same batch returns the first request."""
    commission_for(user=requested_by)
    _check_reason(reason_code, legal_reference)
    if citizen is None or citizen.pk == requested_by.pk:
        raise Forbidden(HealthReviewErrorCode.OWN_COLOUR, _("No officer changes their own colour."))
    batch = batch or uuid.uuid4().hex
    existing = ManualChange.objects.filter(batch=batch, citizen=citizen).first()
    if existing is not None:
        # The same request again is a no-op; the same batch key for anything else (another officer, another
        # colour or reason) is an error, never a quiet return of someone else's request (Stripe's rule).
        same = (existing.requested_by_id, existing.to_colour, existing.reason_code, existing.legal_reference) == (
            requested_by.pk, to_colour, reason_code, legal_reference.strip())
        if not same:
            raise Conflict(HealthReviewErrorCode.BATCH_KEY_REUSED,
                           _("This batch key was used for a different request."))
        return existing
    if to_colour == _current_colour(citizen):
        raise Conflict(HealthReviewErrorCode.COLOUR_UNCHANGED, _("The citizen already has this colour."))
    if ManualChange.objects.filter(citizen=citizen, state=ManualChange.State.PENDING).exists():
        raise Conflict(HealthReviewErrorCode.CHANGE_PENDING,
                       _("This citizen already has a manual change waiting for review."))
    change = ManualChange(citizen=citizen, to_colour=to_colour, reason_code=reason_code,
                          legal_reference=legal_reference.strip(), note=note.strip(), venue=venue.strip(),
                          batch=batch, requested_by=requested_by, requested_at=now or timezone.now())
    change.full_clean(exclude=["citizen", "requested_by"], validate_constraints=False)
    change.save()
    if alert:
        transaction.on_commit(lambda: alerts_check(now=now))
    return change


@transaction.atomic
def manual_change_batch_request(*, requested_by: Any, citizens: list[Any], to_colour: str, reason_code: str,
                                legal_reference: str, note: str = "", venue: str = "", batch: str = "",
                                now: dt.datetime | None = None) -> list[ManualChange]:
    """Manual changes for several citizens under one batch key, all or none. Idempotent: the same batch key again
    returns the requests already made. Alerts count the batch (a large batch is the Zhengzhou pattern)."""
    batch = batch or uuid.uuid4().hex
    changes = [manual_change_request(requested_by=requested_by, citizen=citizen, to_colour=to_colour,
                                     reason_code=reason_code, legal_reference=legal_reference, note=note, venue=venue,
                                     batch=batch, now=now, alert=False) for citizen in citizens]
    transaction.on_commit(lambda: alerts_check(now=now))
    return changes


def _pending_for_update(change: ManualChange) -> ManualChange:
    locked = ManualChange.objects.select_for_update().filter(pk=change.pk).first()
    if locked is None:
        raise NotFound(HealthReviewErrorCode.UNKNOWN_MANUAL_CHANGE, _("No such manual change."))
    if locked.state != ManualChange.State.PENDING:
        raise Conflict(HealthReviewErrorCode.ALREADY_DECIDED, _("This change has already been decided."))
    return locked


@transaction.atomic
def manual_change_approve(*, change: ManualChange, approved_by: Any, note: str = "",
                          now: dt.datetime | None = None) -> ManualChange:
    """A second officer approves: the colour changes (a ``manual`` transition carrying the reason and legal
    reference the citizen sees). The requester can never approve their own request (also a database check)."""
    commission_for(user=approved_by)
    change = _pending_for_update(change)
    if change.requested_by_id == approved_by.pk:
        raise Forbidden(HealthReviewErrorCode.OWN_REQUEST,
                        _("A manual change needs a second officer: you requested this one."))
    if change.citizen_id == approved_by.pk:
        raise Forbidden(HealthReviewErrorCode.OWN_COLOUR, _("No officer changes their own colour."))
    transition = colour_set(citizen=change.citizen, to_colour=change.to_colour, cause=ColourTransition.Cause.MANUAL,
                            reason_code=change.reason_code, legal_reference=change.legal_reference,
                            decided_by=approved_by, detail={"manual_change": change.pk})
    change.state = ManualChange.State.APPLIED
    change.decided_by = approved_by
    change.decided_at = now or timezone.now()
    change.decision_note = note.strip()[:500]
    change.transition = transition
    change.save(update_fields=["state", "decided_by", "decided_at", "decision_note", "transition"])
    return change


@transaction.atomic
def manual_change_reject(*, change: ManualChange, rejected_by: Any, note: str,
                         now: dt.datetime | None = None) -> ManualChange:
    """A second officer rejects the request, saying why; the colour stays. The requester cannot decide it."""
    commission_for(user=rejected_by)
    change = _pending_for_update(change)
    if change.requested_by_id == rejected_by.pk:
        raise Forbidden(HealthReviewErrorCode.OWN_REQUEST,
                        _("A manual change needs a second officer: you requested this one."))
    if not note.strip():
        raise DomainError(HealthReviewErrorCode.NOTE_REQUIRED, _("Say why the change is rejected."))
    change.state = ManualChange.State.REJECTED
    change.decided_by = rejected_by
    change.decided_at = now or timezone.now()
    change.decision_note = note.strip()[:500]
    change.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    return change


# -- alerts ------------------------------------------------------------------------------------------------------


def _raise_alerts(kind: str, counts: list[tuple[Any, int]], threshold: int, now: dt.datetime) -> list[Alert]:
    raised = []
    for subject, count in counts:
        alert, created = Alert.objects.get_or_create(
            kind=kind, subject=str(subject)[:64],
            defaults={"count": count, "threshold": threshold, "created_at": now, "updated_at": now})
        if not created and alert.count != count:
            alert.count, alert.threshold, alert.updated_at = count, threshold, now
            alert.save(update_fields=["count", "threshold", "updated_at"])
        raised.append(alert)
    return raised


@transaction.atomic
def alerts_check(*, now: dt.datetime | None = None) -> list[Alert]:
    """Raise (or update) an alert for every manual batch, venue or case list above its threshold (settings
    CITYCODE_HEALTH_ALERT_*). Counted in SQL (GROUP BY), never per citizen. Idempotent."""
    now = now or timezone.now()
    since = now - dt.timedelta(hours=settings.CITYCODE_HEALTH_ALERT_WINDOW_HOURS)
    recent = ManualChange.objects.filter(requested_at__gte=since).exclude(state=ManualChange.State.REJECTED)
    batch_limit = settings.CITYCODE_HEALTH_ALERT_MANUAL_BATCH
    batches = recent.values("batch").annotate(n=Count("id")).filter(n__gt=batch_limit).values_list("batch", "n")
    venue_limit = settings.CITYCODE_HEALTH_ALERT_VENUE_REDS
    venues = (recent.filter(to_colour="red").exclude(venue="").values("venue").annotate(n=Count("id"))
              .filter(n__gt=venue_limit).values_list("venue", "n"))
    list_limit = settings.CITYCODE_HEALTH_ALERT_LIST_REDS
    lists = (CitizenColour.objects.filter(colour="red", case_list__isnull=False).values("case_list")
             .annotate(n=Count("id")).filter(n__gt=list_limit).values_list("case_list", "n"))
    return [
        *_raise_alerts(Alert.Kind.MANUAL_BATCH, list(batches), batch_limit, now),
        *_raise_alerts(Alert.Kind.VENUE_REDS, list(venues), venue_limit, now),
        *_raise_alerts(Alert.Kind.LIST_REDS, [(f"list:{pk}", n) for pk, n in lists], list_limit, now),
    ]


# -- appeals -----------------------------------------------------------------------------------------------------


@transaction.atomic
def appeal_file(*, citizen: Any, grounds: str, statement: str, evidence_reference: str = "",
                now: dt.datetime | None = None) -> Appeal:
    """The citizen disputes their colour. The commission must answer within CITYCODE_HEALTH_APPEAL_ANSWER_HOURS
    (48); an unanswered appeal escalates. One open appeal per citizen."""
    now = now or timezone.now()
    get_user_model().objects.select_for_update().filter(pk=citizen.pk).first()  # one filing at a time per person
    colour = _current_colour(citizen)
    if colour == "green":
        raise DomainError(HealthReviewErrorCode.NOTHING_TO_APPEAL, _("Your code is green: there is nothing to appeal."))
    if grounds not in Appeal.Grounds.values:
        raise DomainError(HealthReviewErrorCode.UNKNOWN_GROUNDS, _("Choose the grounds of your appeal from the list."))
    if not statement.strip():
        raise DomainError(HealthReviewErrorCode.STATEMENT_REQUIRED, _("Say why your colour is wrong."))
    if Appeal.objects.filter(citizen=citizen, state__in=[Appeal.State.OPEN, Appeal.State.ESCALATED]).exists():
        raise Conflict(HealthReviewErrorCode.APPEAL_OPEN, _("You already have an appeal waiting for an answer."))
    appeal = Appeal(citizen=citizen, colour=colour, grounds=grounds, statement=statement.strip(),
                    evidence_reference=evidence_reference.strip(), filed_at=now,
                    due_at=now + dt.timedelta(hours=settings.CITYCODE_HEALTH_APPEAL_ANSWER_HOURS))
    appeal.full_clean(exclude=["citizen"], validate_constraints=False)
    appeal.save()
    return appeal


@transaction.atomic
def appeal_answer(*, appeal: Appeal, answered_by: Any, accept: bool, answer: str, to_colour: str = "green",
                  now: dt.datetime | None = None) -> Appeal:
    """An officer answers (also after escalation). Accepting recolours through colour_set (cause ``appeal``) and
    records why; rejecting keeps the colour. Both need the answer's reasons. No one answers their own appeal."""
    commission_for(user=answered_by)
    locked = Appeal.objects.select_for_update().filter(pk=appeal.pk).first()
    if locked is None:
        raise NotFound(HealthReviewErrorCode.UNKNOWN_APPEAL, _("No such appeal."))
    if locked.state not in (Appeal.State.OPEN, Appeal.State.ESCALATED):
        raise Conflict(HealthReviewErrorCode.ALREADY_DECIDED, _("This appeal has already been answered."))
    if locked.citizen_id == answered_by.pk:
        raise Forbidden(HealthReviewErrorCode.OWN_APPEAL, _("No one answers their own appeal."))
    if not answer.strip():
        raise DomainError(HealthReviewErrorCode.NOTE_REQUIRED, _("Say why the appeal is accepted or rejected."))
    locked.answered_by, locked.answered_at, locked.answer = answered_by, now or timezone.now(), answer.strip()
    if accept:
        if to_colour not in ("green", "yellow", "red") or to_colour == locked.colour:
            raise DomainError(HealthReviewErrorCode.COLOUR_UNCHANGED,
                              _("An accepted appeal changes the colour: choose another colour."))
        locked.state, locked.to_colour = Appeal.State.ACCEPTED, to_colour
        locked.transition = colour_set(citizen=locked.citizen, to_colour=to_colour,
                                       cause=ColourTransition.Cause.APPEAL, decided_by=answered_by,
                                       detail={"appeal": locked.pk, "answer": locked.answer[:500]})
    else:
        locked.state = Appeal.State.REJECTED
    locked.save(update_fields=["answered_by", "answered_at", "answer", "state", "to_colour", "transition"])
    return locked


@transaction.atomic
def appeals_escalate(*, now: dt.datetime | None = None) -> int:
    """Beat task: every appeal unanswered at its due time escalates (an ``appeal_overdue`` alert for the
    commission and the data bureau). Set-based; running it again escalates nothing twice."""
    now = now or timezone.now()
    due = list(Appeal.objects.select_for_update().filter(state=Appeal.State.OPEN, due_at__lte=now)
               .values_list("pk", flat=True))
    if not due:
        return 0
    Appeal.objects.filter(pk__in=due).update(state=Appeal.State.ESCALATED, escalated_at=now)
    Alert.objects.bulk_create(
        [Alert(kind=Alert.Kind.APPEAL_OVERDUE, subject=f"appeal:{pk}", count=1, threshold=0, created_at=now,
               updated_at=now) for pk in due],
        ignore_conflicts=True)
    return len(due)


# -- retention ---------------------------------------------------------------------------------------------------


@transaction.atomic
def evidence_apply_retention(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Beat task: outside an emergency covering epidemic control, health evidence older than the retention period
    (CITYCODE_HEALTH_EVIDENCE_RETENTION_DAYS, the purpose's 30 days) is deleted; during one, nothing is. So when
    an emergency ends, what it collected is gone a retention period later. The colour history (transitions) stays:
    it is the citizen's own record of what was decided about them. Idempotent."""
    now = now or timezone.now()
    if emergency_active_get(purpose=EPIDEMIC_CONTROL, now=now) is not None:
        return {}
    cutoff = now - dt.timedelta(days=settings.CITYCODE_HEALTH_EVIDENCE_RETENTION_DAYS)
    deleted: dict[str, int] = {}
    for model in (CaseRecord, TestResult, Vaccination, TravelRecord, Declaration):
        count, _detail = model.objects.filter(created_at__lt=cutoff).delete()
        deleted[model.__name__] = count
    count, _detail = CaseListRow.objects.filter(case_list__created_at__lt=cutoff).delete()
    deleted["CaseListRow"] = count
    return deleted
