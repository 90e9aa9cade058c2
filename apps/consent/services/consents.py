"""Consents: giving, withdrawing and the signed receipt."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.consent.errors import ConsentErrorCode
from apps.identity.models import Citizen, Organization
from citycode.errors import Conflict, DomainError, Forbidden

from .. import receipts
from ..models import Consent, DataCategory, LegalBasis, Purpose, ReceiptKey, Representation
from .catalogue import _purpose


def _acting_label(*, citizen: Citizen, actor: Citizen | None, purpose: Purpose, now: dt.datetime) -> str:
    """Who acts: the citizen, or a guardian/carer with a live representation covering the purpose."""
    if actor is None or actor.pk == citizen.pk:
        if citizen.is_minor:
            raise Forbidden(ConsentErrorCode.GUARDIAN_REQUIRED, _("A guardian must act for a citizen under 14."))
        return citizen.username
    representations = Representation.objects.filter(
        representative=actor, represented=citizen, revoked_at__isnull=True, valid_from__lte=now, valid_until__gt=now
    ).filter(Representation.acting_q())
    if not any(not r.purposes or purpose.code in r.purposes for r in representations):
        raise Forbidden(ConsentErrorCode.NOT_A_REPRESENTATIVE, _("You may not act for this citizen for this purpose."))
    return acting_for_label(actor=actor, citizen=citizen)


def acting_for_label(*, actor: Citizen, citizen: Citizen) -> str:
    """The label a representative's act leaves on a consent (also how the export finds their own acts)."""
    return f"{actor.username} acting for {citizen.username}"


def _receipt_payload(consent: Consent) -> dict[str, Any]:
    from django.conf import settings

    purpose = consent.purpose
    return {
        "type": "citycode.consent-receipt",
        "version": 1,
        "issuer": settings.CITYCODE_ISSUER,
        "consent_id": consent.pk,
        "subject": {"id_masked": consent.citizen.id_masked, "name": consent.citizen.name},
        "purpose": {
            "code": purpose.code,
            "text_version": consent.text_version,
            "label_zh": purpose.label_zh,
            "label_en": purpose.label_en,
            "legal_basis": purpose.legal_basis,
            "retention_days": purpose.retention_days,
        },
        "organization": consent.organization.slug if consent.organization is not None else None,
        "categories": list(consent.categories),
        "sensitive": consent.sensitive,
        "given_at": consent.given_at.isoformat(),
        "expires_at": consent.expires_at.isoformat() if consent.expires_at else None,
        "given_by": consent.given_by_label,
    }


@transaction.atomic
def consent_give(
    *,
    citizen: Citizen,
    purpose: str | Purpose,
    categories: list[str],
    organization: Organization | None = None,
    expires_at: dt.datetime | None = None,
    text_version: int | None = None,
    actor: Citizen | None = None,
    sensitive_confirmed: bool = False,
) -> Consent:
    """Record a citizen's consent and sign its receipt.

    A sensitive category (health, whereabouts, ...) needs its own consent: exactly that one category and
    `sensitive_confirmed=True`; bundling it with anything else is refused (`sensitive_bundled`).
    `text_version` is the version of the purpose text the citizen was shown (default: the current one).
    `actor` is a guardian or carer acting for the citizen; minors (under 14) cannot consent themselves.
    Idempotent: giving a consent identical to a live one (same purpose, organization, categories, text version,
    expiry and giver) returns that one and writes nothing.
    """
    now = timezone.now()
    the_purpose = _purpose(purpose)
    if not the_purpose.is_active:
        raise DomainError(ConsentErrorCode.PURPOSE_NOT_ALLOWED, _("The purpose is not active."))
    if the_purpose.legal_basis == LegalBasis.STATUTORY:
        raise DomainError(ConsentErrorCode.CONSENT_NOT_APPLICABLE,
                          _("This purpose rests on a statutory duty, not on consent."))
    wanted = sorted(set(categories or []))
    if not wanted:
        raise ValidationError({"categories": ValidationError(_("Choose at least one data category."),
                                                             code="required")})
    bound = set(the_purpose.categories.values_list("code", flat=True))
    outside = [c for c in wanted if c not in bound]
    if outside:
        raise DomainError(ConsentErrorCode.CATEGORY_NOT_ALLOWED,
                          _("Outside the purpose's bound: %(codes)s") % {"codes": ", ".join(outside)})
    sensitive = list(DataCategory.objects.filter(code__in=wanted, sensitive=True).values_list("code", flat=True))
    if sensitive and len(wanted) > 1:
        raise DomainError(ConsentErrorCode.SENSITIVE_BUNDLED,
            _("Sensitive data (%(codes)s) needs its own separate consent.") % {"codes": ", ".join(sensitive)},
        )
    if sensitive and not sensitive_confirmed:
        raise DomainError(ConsentErrorCode.SENSITIVE_NEEDS_EXPLICIT_CONSENT,
                          _("Sensitive data needs an explicit, separate confirmation."))
    if text_version is not None and text_version != the_purpose.text_version:
        raise Conflict(ConsentErrorCode.STALE_TEXT_VERSION,
                       _("The purpose text has changed; read it again before consenting."))
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": ValidationError(_("The expiry must be in the future."),
                                                             code="invalid_expiry")})
    if organization is not None and not organization.is_active:
        raise DomainError(ConsentErrorCode.ORGANIZATION_INACTIVE, _("The organization is not active."))
    label = _acting_label(citizen=citizen, actor=actor, purpose=the_purpose, now=now)

    # The same consent sent again (a retried request, a double click) is the same consent: a second live row
    # would keep disclosing after the citizen withdrew the one they see. The citizen-row lock settles two
    # submissions racing each other.
    Citizen.objects.select_for_update().filter(pk=citizen.pk).first()
    for live in Consent.objects.filter(
        citizen=citizen, purpose=the_purpose, organization=organization, text_version=the_purpose.text_version,
        expires_at=expires_at, given_by=actor or citizen, withdrawn_at__isnull=True,
    ):
        live.purpose = the_purpose  # status_at compares with the purpose's text version: no query per row
        if live.categories == wanted and live.status_at(now) == "active":
            return live

    consent = Consent(
        citizen=citizen,
        purpose=the_purpose,
        organization=organization,
        categories=wanted,
        sensitive=bool(sensitive),
        text_version=the_purpose.text_version,
        given_at=now,
        expires_at=expires_at,
        given_by=actor or citizen,
        given_by_label=label,
    )
    consent.full_clean()
    consent.save()
    consent.receipt = receipts.sign(_receipt_payload(consent))
    consent.save(update_fields=["receipt"])
    return consent


@transaction.atomic
def consent_withdraw(*, consent: Consent, actor: Citizen | None = None) -> Consent:
    """Withdraw a consent; the very next disclose() relying on it is denied. Idempotent."""
    consent = Consent.objects.select_for_update().select_related("citizen", "purpose").get(pk=consent.pk)
    if consent.withdrawn_at is not None:
        return consent
    now = timezone.now()
    if actor is not None and actor.pk != consent.citizen_id:
        label = _acting_label(citizen=consent.citizen, actor=actor, purpose=consent.purpose, now=now)
    else:
        label = consent.citizen.username  # withdrawing is always allowed, minors included
    consent.withdrawn_at = now
    consent.withdrawn_by_label = label
    consent.save(update_fields=["withdrawn_at", "withdrawn_by_label"])
    return consent



@transaction.atomic
def receipt_key_rotate() -> ReceiptKey:
    """Retire the active receipt key and create a new one; old receipts still verify against the JWKS."""
    ReceiptKey.objects.filter(state=ReceiptKey.State.ACTIVE).update(state=ReceiptKey.State.RETIRED)
    return receipts.active_key()
