"""The unified scan: verify a presented code, pass the consent gate, return only what the purpose may see.

Every code type is reached through the plugin registry (apps/codes/plugin_api.py); nothing here names one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy

from apps.codes.errors import CodesErrorCode
from apps.consent import selectors as consent_selectors
from apps.consent import services as consent_services
from citycode.errors import Conflict, DomainError

from . import services, tokens
from .plugin_api import UnknownCodeType, scan_action_run
from .plugin_api import registry as code_types
from .selectors import single_use_purpose_list, token_subject_get, verified_token_get

ALREADY_USED = gettext_lazy("This code has already been used for this purpose. Ask the person to show a fresh one.")


@dataclass(frozen=True)
class ScanResult:
    purpose: str
    basis: str
    code_type: str
    expires_at: dt.datetime
    data: dict[str, Any]
    log_id: int
    # What the purpose's scan action did (plugin_api.scan_action_register), e.g. a check-in; None without one.
    action: dict[str, Any] | None = None


def code_scan(*, organization, purpose: str, token: str, actor, request_id: str = "") -> ScanResult:
    """The unified scan: verify a presented code, pass the consent gate, return only what the purpose may see.

    A refused token raises DomainError (400) whose code is the verification reason; a refusal by the gate
    raises consent's DisclosureDenied (403) after it has logged the denial. A token that cannot be tied to a
    citizen (forged, expired, unknown subject) leaves no per-citizen access-log row: there is no one to log it
    against, and nothing was disclosed. Deliberately not atomic: the gate commits its own log row, denials
    included, and an outer transaction would roll a denial's row back.
    """
    try:
        verified = verified_token_get(token=token)
    except tokens.VerificationFailed as exc:
        raise DomainError(CodesErrorCode.of(exc.reason), str(tokens.REFUSAL_MESSAGES[exc.reason])) from None
    try:
        kind = code_types.get(verified.code_type)
    except UnknownCodeType:
        raise DomainError(CodesErrorCode.UNKNOWN_CODE_TYPE, str(tokens.REFUSAL_MESSAGES["unknown_code_type"])) from None
    # Handles are this city's encryption: a peer city's token never resolves to one of our citizens.
    citizen = token_subject_get(verified=verified)
    if citizen is None or not citizen.is_active:
        raise DomainError(CodesErrorCode.UNKNOWN_SUBJECT, str(tokens.REFUSAL_MESSAGES["unknown_subject"]))
    if purpose in single_use_purpose_list():
        disclosure = _disclose_once(organization=organization, purpose=purpose, citizen=citizen, actor=actor,
                                    request_id=request_id, verified=verified)
    else:
        disclosure = consent_services.disclose(
            organization=organization, purpose=purpose, citizen=citizen, categories=None, actor=actor,
            request_id=request_id,
        )
    # The gate has decided and logged; now the purpose's own action (if any) may act on the allowed scan.
    action = scan_action_run(organization=organization, purpose=disclosure.purpose, citizen=citizen, actor=actor,
                             code_type=verified.code_type)
    shaped = kind.present(verified=verified, citizen=citizen, categories=disclosure.categories)
    # Exactly the allowed categories, whatever a code type's present() returned.
    data = {category: shaped.get(category) for category in disclosure.categories}
    return ScanResult(
        purpose=disclosure.purpose,
        basis=disclosure.basis,
        code_type=verified.code_type,
        expires_at=verified.expires_at,
        data=data,
        log_id=disclosure.log_id,
        action=action,
    )


def _disclose_once(*, organization, purpose: str, citizen, actor, request_id: str,
                   verified: tokens.VerifiedToken) -> consent_services.Disclosure:
    """The gate for a single-use purpose: the token's use is recorded in the same transaction as the gate's
    allowed row, so two scans racing with one token give exactly one disclosure (the other waits on the
    unique index, then is refused).

    A refused replay writes nothing to the citizen's access log: the gate is not consulted and nothing is
    disclosed, the first use is already logged, and a row per replay would let anyone holding a photo of a
    code fill a citizen's log (a reader without a grant for the purpose goes through the gate instead, so it
    learns nothing a generic refusal does not say). A denial by the gate does not use the token up: its row is
    kept (committed) and the use record is dropped, so the person can be scanned again once the gate allows.
    """
    denied: consent_services.DisclosureDenied | None = None
    used = False
    with transaction.atomic():
        if not services.token_use_record(issuer_name=verified.issuer, cti=verified.cti, purpose=purpose,
                                         expires_at=verified.expires_at):
            used = True
        else:
            try:
                disclosure = consent_services.disclose(
                    organization=organization, purpose=purpose, citizen=citizen, categories=None, actor=actor,
                    request_id=request_id,
                )
            except consent_services.DisclosureDenied as exc:
                denied = exc
                services.token_use_forget(issuer_name=verified.issuer, cti=verified.cti, purpose=purpose)
    if used:
        # `already_used` tells the reader the person used this code (boarded, checked in). A reader without a
        # grant for the purpose is not told: it goes through the gate, which logs the attempt and refuses it
        # with the generic code. Outside the block above, so the denial's row is committed.
        the_purpose = consent_selectors.purpose_get(code=purpose)
        if the_purpose is None or consent_selectors.active_grant_get(organization=organization,
                                                                 purpose=the_purpose) is None:
            consent_services.disclose(organization=organization, purpose=purpose, citizen=citizen,
                                      categories=None, actor=actor, request_id=request_id)
        raise Conflict(CodesErrorCode.ALREADY_USED, str(ALREADY_USED))
    if denied is not None:
        raise denied
    return disclosure
