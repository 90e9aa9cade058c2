"""Writes for licences: define a type, issue, renew, suspend, reinstate, revoke; a verifier's request; the
citizen's presentation through the consent gate; the verifier's check."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.codes import plugin_api
from apps.codes.plugin_api import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    issuer_signer_active,
    live_status_lists_get,
    live_trust_list_get,
    purpose_categories_get,
    status_index_allocate,
    status_indices_set,
)

from . import elements as el
from . import mdoc, selectors
from .errors import LicencesErrorCode
from .models import Licence, LicenceCredential, LicenceEvent, LicenceType, PresentationRequest

CODE_TYPE = "licence"  # the code type key, and the id of the status list every copy's index lives in
STATUS_URI = "/api/v1/status-lists/licence"
# A copy in the wallet lives at most this long: long enough for a phone kept offline for weeks, short enough
# that an expiry date shared by every copy of one licence is rarely what the MSO's validUntil shows.
COPY_LIFETIME = dt.timedelta(days=30)
REQUEST_LIFETIME = dt.timedelta(minutes=10)
_FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
LICENCE_OFFICE_KIND = "licence_office"


def _require_staff(*, user: Any, office: Any) -> None:
    if not plugin_api.user_acts_for(user=user, organization=office):
        raise Forbidden(LicencesErrorCode.NOT_OFFICE_STAFF, _("You do not act for this licence office."))


# -- licence types --------------------------------------------------------------------------------------------


def _checked_fields(fields: Any) -> list[dict[str, str]]:
    if not isinstance(fields, list) or len(fields) > el.MAX_FIELDS:
        raise DomainError(LicencesErrorCode.BAD_FIELDS, _("Fields must be a list of at most 24 entries."))
    checked: list[dict[str, str]] = []
    seen: set[str] = set(el.STANDARD)
    for field in fields:
        if not isinstance(field, dict):
            raise DomainError(LicencesErrorCode.BAD_FIELDS, _("Each field is an object."))
        key, kind = field.get("key"), field.get("kind")
        zh, en = field.get("label_zh"), field.get("label_en")
        if not (isinstance(key, str) and _FIELD_KEY.match(key)) or key in seen:
            raise DomainError(LicencesErrorCode.BAD_FIELDS, _("Field keys are unique lower-case names."))
        if kind not in el.KINDS or not (isinstance(zh, str) and zh.strip() and isinstance(en, str) and en.strip()):
            raise DomainError(LicencesErrorCode.BAD_FIELDS,
                              _("Each field needs a kind (string, date, integer, boolean) and both labels."))
        seen.add(key)
        checked.append({"key": key, "kind": kind, "label_zh": zh.strip(), "label_en": en.strip()})
    return checked


def _checked_purposes(purpose_fields: Any, *, fields: list[dict[str, str]], category: str) -> dict[str, list[str]]:
    """Each purpose must exist, and may see an element only when the purpose's category bound has its category
    (the type cannot widen what the data bureau approved for the purpose)."""
    if not isinstance(purpose_fields, dict):
        raise DomainError(LicencesErrorCode.BAD_FIELDS, _("Purposes map a purpose code to a list of fields."))
    known = el.element_keys(fields)
    checked: dict[str, list[str]] = {}
    for code, wanted in purpose_fields.items():
        bound = purpose_categories_get(code=code) if isinstance(code, str) else None
        if bound is None:
            raise NotFound(LicencesErrorCode.UNKNOWN_PURPOSE, _("No such purpose."))
        if not isinstance(wanted, list) or not wanted or not all(isinstance(w, str) and w in known for w in wanted):
            raise DomainError(LicencesErrorCode.BAD_FIELDS, _("A purpose lists fields of this licence type."))
        outside = [w for w in wanted if el.category_of(element=w, type_category=category) not in bound]
        if outside:
            raise DomainError(LicencesErrorCode.ELEMENT_OUTSIDE_PURPOSE,
                              _("The purpose %(purpose)s may not receive: %(fields)s.")
                              % {"purpose": code, "fields": ", ".join(outside)})
        checked[code] = list(dict.fromkeys(wanted))
    return checked


@transaction.atomic
def licence_type_define(*, office: Any, by: Any, type_code: str, authority_code: str, label_zh: str, label_en: str,
                        category: str, fields: Any, purpose_fields: Any, validity_days: int,
                        renewal_window_days: int = 90) -> LicenceType:
    """Define (or redefine) a licence type of ``office``. Licences already issued keep their values; the next
    copies carry the new fields."""
    _require_staff(user=by, office=office)
    if office.kind != LICENCE_OFFICE_KIND:
        raise DomainError(LicencesErrorCode.NOT_A_LICENCE_OFFICE, _("Only a licence office defines licence types."))
    if category not in plugin_api.registry.get(CODE_TYPE).provides:
        raise DomainError(LicencesErrorCode.BAD_FIELDS, _("Unknown licence data category."))
    checked_fields = _checked_fields(fields)
    checked_purposes = _checked_purposes(purpose_fields, fields=checked_fields, category=category)
    licence_type = LicenceType.objects.select_for_update().filter(type_code=type_code).first()
    if licence_type is not None and licence_type.office_id != office.pk:
        raise Forbidden(LicencesErrorCode.NOT_OFFICE_STAFF, _("Another office defines this licence type."))
    licence_type = licence_type or LicenceType(office=office, type_code=type_code)
    licence_type.authority_code = authority_code
    licence_type.label_zh, licence_type.label_en = label_zh, label_en
    licence_type.category = category
    licence_type.fields, licence_type.purpose_fields = checked_fields, checked_purposes
    licence_type.validity_days, licence_type.renewal_window_days = validity_days, renewal_window_days
    licence_type.full_clean()
    licence_type.save()
    return licence_type


# -- licences -------------------------------------------------------------------------------------------------


def _checked_values(licence_type: LicenceType, values: Any) -> dict[str, Any]:
    fields = {field["key"]: field["kind"] for field in licence_type.fields}
    if not isinstance(values, dict) or set(values) != set(fields):
        raise DomainError(LicencesErrorCode.BAD_VALUES, _("Give a value for each field of the licence type."),
                          fields={"values": sorted(fields)})
    bad = sorted(key for key, kind in fields.items() if not el.value_ok(kind, values[key]))
    if bad:
        raise DomainError(LicencesErrorCode.BAD_VALUES, _("These values do not fit their fields: %(fields)s.")
                          % {"fields": ", ".join(bad)})
    return dict(values)


def _event(licence: Licence, action: str, by: Any, reason: str = "") -> None:
    LicenceEvent.objects.create(licence=licence, action=action, by=by, reason=reason[:300])


@transaction.atomic
def licence_issue(*, licence_type: LicenceType, citizen: Any, values: Any, issued_by: Any,
                  valid_from: dt.date | None = None) -> Licence:
    """Issue a licence: the next serial of its type, an identifier in the shape of GB/T 36904
    (type code, issuing authority code, serial)."""
    _require_staff(user=issued_by, office=licence_type.office)
    checked = _checked_values(licence_type, values)
    # The type row's lock serialises serial numbers; the partial unique index refuses a second licence in force.
    locked = LicenceType.objects.select_for_update().get(pk=licence_type.pk)
    if Licence.objects.filter(licence_type=locked, citizen=citizen).exclude(status=Licence.Status.REVOKED).exists():
        raise Conflict(LicencesErrorCode.LICENCE_EXISTS, _("This citizen already holds this licence; renew or "
                                                             "revoke it."))
    start = valid_from or timezone.localdate()
    licence = Licence(licence_type=locked, citizen=citizen, serial=locked.next_serial, values=checked,
                      identifier=f"{locked.type_code}-{locked.authority_code}-{locked.next_serial:08d}",
                      valid_from=start, valid_until=start + dt.timedelta(days=locked.validity_days),
                      issued_by=issued_by)
    licence.full_clean(exclude=["citizen", "licence_type", "issued_by"])
    licence.save()
    locked.next_serial += 1
    locked.save(update_fields=["next_serial"])
    _event(licence, LicenceEvent.Action.ISSUED, issued_by)
    return licence


def _set_copies(licence: Licence, *, revoked: bool) -> None:
    status_indices_set(list_id=CODE_TYPE, indices=selectors.credential_index_list(licence=licence), revoked=revoked)


def _follow_wallet_code(citizen: Any) -> None:
    # The rotating "licence" code in the wallet says "holds a licence"; once none is in force, the tokens already
    # handed out stop verifying too (not just the next ones).
    if not selectors.licence_in_force_list(citizen=citizen).exists():
        plugin_api.held_tokens_revoke(code_type=CODE_TYPE, citizen=citizen)


def _locked(licence: Licence) -> Licence:
    return Licence.objects.select_for_update().select_related("licence_type", "licence_type__office").get(
        pk=licence.pk)


@transaction.atomic
def licence_suspend(*, licence: Licence, by: Any, reason: str) -> Licence:
    """Suspend: every copy in wallets fails verification once a verifier refreshes the status list."""
    licence = _locked(licence)
    _require_staff(user=by, office=licence.licence_type.office)
    if licence.status == Licence.Status.REVOKED:
        raise Conflict(LicencesErrorCode.LICENCE_REVOKED, _("A revoked licence cannot be suspended."))
    if licence.status != Licence.Status.SUSPENDED:
        licence.status = Licence.Status.SUSPENDED
        licence.save(update_fields=["status", "updated_at"])
        _set_copies(licence, revoked=True)
        _event(licence, LicenceEvent.Action.SUSPENDED, by, reason)
        _follow_wallet_code(licence.citizen)
    return licence


@transaction.atomic
def licence_reinstate(*, licence: Licence, by: Any) -> Licence:
    licence = _locked(licence)
    _require_staff(user=by, office=licence.licence_type.office)
    if licence.status == Licence.Status.REVOKED:
        raise Conflict(LicencesErrorCode.LICENCE_REVOKED, _("A revoked licence cannot be reinstated."))
    if licence.status == Licence.Status.SUSPENDED:
        licence.status = Licence.Status.ACTIVE
        licence.save(update_fields=["status", "updated_at"])
        _set_copies(licence, revoked=False)
        _event(licence, LicenceEvent.Action.REINSTATED, by)
    return licence


@transaction.atomic
def licence_revoke(*, licence: Licence, by: Any, reason: str) -> Licence:
    """Revoke for good (idempotent): the copies' status bits are set, the licence never comes back."""
    licence = _locked(licence)
    _require_staff(user=by, office=licence.licence_type.office)
    if licence.status != Licence.Status.REVOKED:
        licence.status = Licence.Status.REVOKED
        licence.save(update_fields=["status", "updated_at"])
        _set_copies(licence, revoked=True)
        _event(licence, LicenceEvent.Action.REVOKED, by, reason)
        _follow_wallet_code(licence.citizen)
    return licence


@transaction.atomic
def licence_renew(*, licence: Licence, by: Any) -> Licence:
    """Extend the validity by the type's period, from the old end date; allowed within the renewal window.
    Copies carrying the old end date are revoked, so no verifier sees two validities of one licence."""
    licence = _locked(licence)
    _require_staff(user=by, office=licence.licence_type.office)
    if licence.status == Licence.Status.REVOKED:
        raise Conflict(LicencesErrorCode.LICENCE_REVOKED, _("A revoked licence cannot be renewed."))
    window = dt.timedelta(days=licence.licence_type.renewal_window_days)
    if timezone.localdate() < licence.valid_until - window:
        raise Conflict(LicencesErrorCode.NOT_RENEWABLE_YET, _("This licence cannot be renewed yet."))
    licence.valid_until = max(licence.valid_until, timezone.localdate()) + dt.timedelta(
        days=licence.licence_type.validity_days)
    licence.full_clean(exclude=["citizen", "licence_type", "issued_by"], validate_constraints=False)
    licence.save(update_fields=["valid_until", "updated_at"])
    _set_copies(licence, revoked=True)
    _event(licence, LicenceEvent.Action.RENEWED, by)
    return licence


# -- credentials (copies for the wallet) ----------------------------------------------------------------------


@dataclass(frozen=True)
class WalletCopy:
    credential: mdoc.Credential
    device_key: Any  # the holder's private key of this copy


@transaction.atomic
def credential_issue(*, licence: Licence, now: dt.datetime | None = None) -> WalletCopy:
    """A fresh signed copy of a licence in force for the holder's wallet: fresh salts, digest ids, device key and
    status index, so no two copies share a value beyond the licence's own data."""
    moment = now or timezone.now()
    today = timezone.localdate(moment)
    licence = Licence.objects.select_related("licence_type", "citizen").get(pk=licence.pk)
    if licence.status != Licence.Status.ACTIVE or not licence.valid_from <= today <= licence.valid_until:
        raise Conflict(LicencesErrorCode.LICENCE_NOT_IN_FORCE, _("This licence is not in force."))
    end_of_licence = dt.datetime.combine(licence.valid_until + dt.timedelta(days=1), dt.time.min,
                                         tzinfo=timezone.get_current_timezone())
    expires_at = min(moment + COPY_LIFETIME, end_of_licence)
    index = status_index_allocate(citizen=licence.citizen, list_id=CODE_TYPE, expires_at=expires_at)
    LicenceCredential.objects.create(licence=licence, status_index=index, expires_at=expires_at)
    device_key = mdoc.device_key_new()
    credential = mdoc.credential_sign(
        signer=issuer_signer_active(), doc_type=mdoc.doc_type_for(licence.licence_type.type_code),
        elements=el.values_of(licence, today=today), device_key=device_key.public_key(),
        valid_from=moment - dt.timedelta(minutes=5), valid_until=expires_at, signed=moment,
        status_index=index, status_uri=STATUS_URI)
    return WalletCopy(credential=credential, device_key=device_key)


# -- verifier requests and presentations ----------------------------------------------------------------------


@transaction.atomic
def presentation_request_create(*, verifier: Any, licence_type: LicenceType, purpose: str) -> PresentationRequest:
    """A verifier asks for the elements its purpose may see of a licence type, with a fresh nonce."""
    if purpose_categories_get(code=purpose) is None:
        raise NotFound(LicencesErrorCode.UNKNOWN_PURPOSE, _("No such purpose."))
    allowed = licence_type.purpose_fields.get(purpose)
    if not allowed:
        raise DomainError(LicencesErrorCode.PURPOSE_NOT_FOR_TYPE,
                          _("This licence type shows nothing to that purpose."))
    # A verifier without a grant would be refused at the gate anyway; refusing its request here keeps citizens from
    # being shown requests (a hotel asking for traffic-check fields) that only phish for a tap.
    if not plugin_api.access_grant_active(organization=verifier, purpose=purpose):
        raise Forbidden(LicencesErrorCode.NO_GRANT, _("Your organization holds no grant for this purpose."))
    now = timezone.now()
    request = PresentationRequest(verifier=verifier, licence_type=licence_type, purpose=purpose,
                                  nonce=plugin_api.b64u(secrets.token_bytes(mdoc.NONCE_BYTES)),
                                  elements=list(allowed), expires_at=now + REQUEST_LIFETIME)
    request.full_clean(exclude=["verifier", "licence_type"], validate_constraints=False)
    request.save()
    return request


@dataclass(frozen=True)
class Presentation:
    text: str
    elements: tuple[str, ...]  # what it reveals
    request: PresentationRequest
    log_id: int


def _open_request(request: PresentationRequest | None) -> PresentationRequest:
    if request is None:
        raise NotFound(LicencesErrorCode.REQUEST_NOT_FOUND, _("No such request."))
    if request.answered_at is not None:
        raise Conflict(LicencesErrorCode.REQUEST_ANSWERED, _("This request has already been answered."))
    if request.expires_at <= timezone.now():
        raise Conflict(LicencesErrorCode.REQUEST_EXPIRED, _("This request has expired; ask for a new one."))
    return request


def presentation_create(*, citizen: Any, nonce: str, elements: list[str]) -> Presentation:
    """The citizen answers a verifier's request, revealing ``elements`` ∩ what the purpose may see ∩ what the
    consent gate allows (the access log records it); nothing else leaves the wallet.

    Not one transaction: the gate commits its log row itself (a denial must stay logged when it raises), then the
    request is claimed under a row lock, so of two racing answers one wins and the other gets 409."""
    if not isinstance(nonce, str) or not isinstance(elements, list) or not all(isinstance(e, str) for e in elements):
        raise DomainError(LicencesErrorCode.NO_ELEMENTS_CHOSEN, _("Choose the fields to show."))
    request = _open_request(PresentationRequest.objects.select_related("licence_type", "verifier")
                            .filter(nonce=nonce).first())
    licence = selectors.licence_in_force_get(citizen=citizen, licence_type=request.licence_type)
    if licence is None:
        raise NotFound(LicencesErrorCode.LICENCE_NOT_FOUND, _("You hold no licence of this type in force."))
    chosen = [e for e in dict.fromkeys(elements) if e in request.elements]
    if not chosen:
        raise DomainError(LicencesErrorCode.NO_ELEMENTS_CHOSEN, _("Choose at least one field the request asks for."))
    category = request.licence_type.category
    wanted = sorted({el.category_of(element=e, type_category=category) for e in chosen})
    # The gate decides; a denial is logged in the citizen's access log and raised (403 not_disclosed).
    disclosure = plugin_api.disclose(organization=request.verifier, purpose=request.purpose, citizen=citizen,
                                     categories=wanted)
    allowed = set(disclosure.categories)
    revealed = tuple(e for e in chosen if el.category_of(element=e, type_category=category) in allowed)
    with transaction.atomic():
        request = _open_request(PresentationRequest.objects.select_for_update(of=("self",)).filter(pk=request.pk)
                                .select_related("licence_type", "verifier").first())
        copy = credential_issue(licence=licence)
        text = mdoc.presentation_build(credential=copy.credential, device_key=copy.device_key, elements=revealed,
                                       purpose=request.purpose, verifier=request.verifier.slug, nonce=request.nonce)
        request.answered_at = timezone.now()
        request.save(update_fields=["answered_at"])
    return Presentation(text=text, elements=revealed, request=request, log_id=disclosure.log_id)


def presentation_check(*, request: PresentationRequest, text: str,
                       now: dt.datetime | None = None) -> mdoc.VerifiedPresentation:
    """What a verifier's device does offline, run here for verifiers without one: verify against the live trust
    list and status lists and the verifier's own request. Raises DomainError with the refusal reason."""
    try:
        return mdoc.presentation_verify(
            text, trust_list=live_trust_list_get(), status_lists=live_status_lists_get(), nonce=request.nonce,
            purpose=request.purpose, verifier=request.verifier.slug, now=now or timezone.now(),
            expected_doc_type=mdoc.doc_type_for(request.licence_type.type_code), list_id=CODE_TYPE)
    except mdoc.PresentationRefused as refused:
        raise DomainError(LicencesErrorCode.of(refused.reason),
                          str(REFUSALS.get(refused.reason, refused.reason))) from None


REFUSALS = {
    "bad_prefix": gettext_lazy("This is not a licence presentation."),
    "bad_encoding": gettext_lazy("The presentation is damaged or incomplete."),
    "unknown_kid": gettext_lazy("It was signed with a key this city does not trust."),
    "bad_signature": gettext_lazy("The issuer's signature does not match: the licence data was altered."),
    "wrong_type": gettext_lazy("This is a different kind of licence than the one requested."),
    "expired": gettext_lazy("This copy of the licence has expired."),
    "not_yet_valid": gettext_lazy("This copy of the licence is not valid yet."),
    "revoked": gettext_lazy("The licence is revoked or suspended."),
    "status_unknown": gettext_lazy("The licence's status cannot be checked."),
    "not_bound": gettext_lazy("The presentation was made for another request."),
    "digest_mismatch": gettext_lazy("A shown field does not match what the issuer signed."),
}
