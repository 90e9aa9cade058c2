"""The unified scan: verify a presented code, pass the consent gate, return only what the purpose may see.

Every code type is reached through the plugin registry (apps/codes/plugin_api.py); nothing here names one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from apps.consent import services as consent_services
from citycode.errors import DomainError

from . import tokens
from .plugin_api import UnknownCodeType
from .plugin_api import registry as code_types
from .selectors import citizen_for_subject, verify_live
from .services import issuer


@dataclass(frozen=True)
class ScanResult:
    purpose: str
    basis: str
    code_type: str
    expires_at: dt.datetime
    data: dict[str, Any]
    log_id: int


def code_scan(*, organization, purpose: str, token: str, actor, request_id: str = "") -> ScanResult:
    """The unified scan: verify a presented code, pass the consent gate, return only what the purpose may see.

    A refused token raises DomainError (400) whose code is the verification reason; a refusal by the gate
    raises consent's DisclosureDenied (403) after it has logged the denial. A token that cannot be tied to a
    citizen (forged, expired, unknown subject) leaves no per-citizen access-log row: there is no one to log it
    against, and nothing was disclosed. Deliberately not atomic: the gate commits its own log row, denials
    included, and an outer transaction would roll a denial's row back.
    """
    try:
        verified = verify_live(token=token)
    except tokens.VerificationFailed as exc:
        raise DomainError(exc.reason, str(tokens.REFUSAL_MESSAGES[exc.reason])) from None
    try:
        kind = code_types.get(verified.code_type)
    except UnknownCodeType:
        raise DomainError("unknown_code_type", str(tokens.REFUSAL_MESSAGES["unknown_code_type"])) from None
    # Subjects are this city's pseudonyms: a peer city's key verifies its own citizens' codes, never ours
    # (it could otherwise sign any sub it has seen on a scanned code, and pick its own status index).
    citizen = (citizen_for_subject(code_type=verified.code_type, sub=verified.sub)
               if verified.issuer == issuer() else None)
    if citizen is None or not citizen.is_active:
        raise DomainError("unknown_subject", str(tokens.REFUSAL_MESSAGES["unknown_subject"]))
    disclosure = consent_services.disclose(
        organization=organization, purpose=purpose, citizen=citizen, categories=None, actor=actor,
        request_id=request_id,
    )
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
    )
