"""The citizen's wallet: a fresh token of every code they hold, and the QR image of one of their own tokens.

Every code type is reached through the plugin registry (apps/codes/plugin_api.py); nothing here names one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from apps.codes.errors import CodesErrorCode
from citycode.errors import DomainError, NotFound

from . import qr as qr_images
from . import tokens
from .plugin_api import CodeType, UnknownCodeType
from .plugin_api import registry as code_types
from .selectors import token_subject_get, verified_token_get
from .services import IssuedToken, token_issue


@dataclass(frozen=True)
class HeldCode:
    """A freshly issued token of one code type the citizen holds."""

    code_type: CodeType
    issued: IssuedToken
    refresh_after: dt.datetime


def _held_code(*, citizen, code_type: CodeType) -> HeldCode | None:
    claims = code_type.claims_for(citizen)
    if claims is None:
        return None
    # Only the claims a reader must see offline go into the token; the rest stay behind the consent gate.
    offline = {name: value for name, value in claims.items() if name in code_type.offline_claims}
    issued = token_issue(citizen=citizen, code_type=code_type.key, claims=offline, lifetime=code_type.lifetime,
                         with_status=code_type.status_list)
    return HeldCode(
        code_type=code_type,
        issued=issued,
        refresh_after=code_type.refresh_after(issued_at=issued.issued_at, expires_at=issued.expires_at),
    )


def held_codes_issue(*, citizen) -> list[HeldCode]:
    """A fresh token of every code the citizen holds, in registry order (the city code first)."""
    return [held for code_type in code_types.all() if (held := _held_code(citizen=citizen, code_type=code_type))]


def held_code_issue(*, citizen, code_type: str) -> HeldCode:
    """A fresh token of one code type; NotFound when the type is unknown or the citizen does not hold it."""
    try:
        kind = code_types.get(code_type)
    except UnknownCodeType:
        raise NotFound(CodesErrorCode.UNKNOWN_CODE_TYPE, _("No such code type.")) from None
    held = _held_code(citizen=citizen, code_type=kind)
    if held is None:
        raise NotFound(CodesErrorCode.CODE_NOT_HELD, _("You do not hold this code."))
    return held


QR_CONTENT_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


@dataclass(frozen=True)
class QrImage:
    body: bytes
    content_type: str
    max_age: int  # seconds the token has left; the image is useless after that


def held_code_qr(*, citizen, code_type: str, token: str, image_format: str) -> QrImage:
    """The QR image of one of the citizen's own tokens (qr.render_* cache each token's image in-process).

    The token must verify as this type and belong to this citizen, so the endpoint cannot be used to draw
    (or probe) anyone else's codes.
    """
    try:
        verified = verified_token_get(token=token, expected_type=code_type)
    except tokens.VerificationFailed as exc:
        raise DomainError(CodesErrorCode.of(exc.reason), str(tokens.REFUSAL_MESSAGES[exc.reason])) from None
    # token_subject_get resolves only this city's tokens: a peer city's code carrying a handle that would
    # decrypt to this citizen is not drawn as theirs.
    owner = token_subject_get(verified=verified)
    if owner is None or owner.pk != citizen.pk:
        raise NotFound(CodesErrorCode.CODE_NOT_HELD, _("You do not hold this code."))
    max_age = max(1, int((verified.expires_at - timezone.now()).total_seconds()))
    body = qr_images.render_svg(token) if image_format == "svg" else qr_images.render_png(token)
    if isinstance(body, str):
        body = body.encode("utf-8")
    return QrImage(body=body, content_type=QR_CONTENT_TYPES[image_format], max_age=max_age)
