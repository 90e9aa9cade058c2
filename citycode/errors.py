"""One error shape for the whole API, and the typed error services raise.

Every API error body is::

    {"error": {"code": "<machine_readable>", "message": "<human text>", "fields": {<field>: [{code, message}]}}}

`fields` is present only for validation errors.
"""

import functools
import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .error_codes import ErrorCode, ErrorCodeEnum

__all__ = ["Conflict", "DomainError", "ErrorCode", "ErrorCodeEnum", "Forbidden", "NotFound"]

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A business-rule failure with a machine-readable code; views turn it into a 4xx.

    Raise it with a member of an app's error-code enum (`DomainError(ConsentErrorCode.NO_CHANGE, _("..."))`): the
    member decides the status. The subclasses below exist to be caught (`except Forbidden`); raised, they must
    carry a member of their own status (tests/test_error_codes.py checks every raise site)."""

    status_code: int = status.HTTP_400_BAD_REQUEST

    def __init__(self, code: ErrorCodeEnum | str, message: str = "", *,
                 fields: dict[str, Any] | None = None) -> None:
        # A plain string is still accepted (a plugin's own code); under apps/ a convention test forbids it.
        if isinstance(code, ErrorCodeEnum):
            self.status_code = code.status
            code = code.value
        super().__init__(message or code)
        self.code: str = code
        self.message = message or code
        self.fields = fields


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT


class Forbidden(DomainError):
    status_code = status.HTTP_403_FORBIDDEN


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": str(code), "message": str(message)}
    if fields:
        body["fields"] = fields
    return {"error": body}


def _field_errors(detail: Any) -> dict[str, Any]:
    """Flatten DRF's nested ErrorDetail structure into {field: [{code, message}]}."""
    result: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, (dict, list)):
                    walk(f"{prefix}.{index}", item)
                else:
                    result.setdefault(prefix or "non_field_errors", []).append(
                        {"code": getattr(item, "code", "invalid"), "message": str(item)}
                    )
        else:
            result.setdefault(prefix or "non_field_errors", []).append(
                {"code": getattr(value, "code", "invalid"), "message": str(value)}
            )

    walk("", detail)
    return result


def _first_field(constraint: Any) -> str | None:
    """The field a model constraint is about: a unique constraint's last field (the one that collides), or the
    first field a check constraint's condition names (``ends_at`` in ``Q(ends_at__gt=F("starts_at"))``)."""
    fields = getattr(constraint, "fields", ())
    if fields:
        return fields[-1]
    pending = [getattr(constraint, "condition", None)]
    while pending:
        node = pending.pop(0)
        for child in getattr(node, "children", ()):
            if isinstance(child, tuple):
                return child[0].split("__", 1)[0]
            pending.append(child)
    return None


@functools.cache
def _constraint_fields() -> dict[str, str]:
    from django.apps import apps

    return {
        constraint.violation_error_code: field
        for model in apps.get_models()
        for constraint in model._meta.constraints
        if constraint.violation_error_code and (field := _first_field(constraint))
    }


def constraint_field(code: str) -> str | None:
    """The field a model constraint's ``violation_error_code`` concerns. Django reports a violated check
    constraint as a non-field error; the reader needs to know which field to correct."""
    return _constraint_fields().get(code)


def django_validation_fields(exc: DjangoValidationError) -> dict[str, list[dict[str, str]]]:
    """{field: [{code, message}]} from a Django ValidationError, keeping each error's code; a model constraint's
    error goes to the field it concerns."""
    groups = exc.error_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.error_list}
    fields: dict[str, list[dict[str, str]]] = {}
    for field, errors in groups.items():
        for error in errors:
            name = field
            if field in ("__all__", "non_field_errors"):
                name = (error.code and constraint_field(error.code)) or "non_field_errors"
            for message in error.messages if hasattr(error, "messages") else [str(error)]:
                fields.setdefault(name, []).append({"code": error.code or "invalid", "message": message})
    return fields


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        fields = django_validation_fields(exc)
        first = next(iter(fields.values()))[0]
        return Response(error_body(ErrorCode.VALIDATION_ERROR, first["message"], fields),
                        status=ErrorCode.VALIDATION_ERROR.status)
    # Raised while reading the body (request.data), inside the view: Django's own 400 handling never sees them.
    if isinstance(exc, RequestDataTooBig):
        return Response(error_body(ErrorCode.REQUEST_TOO_LARGE, _("The request body is too large.")),
                        status=ErrorCode.REQUEST_TOO_LARGE.status)
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return Response(error_body(ErrorCode.TOO_MANY_FIELDS, _("The request has too many fields.")),
                        status=ErrorCode.TOO_MANY_FIELDS.status)
    if isinstance(exc, SuspiciousOperation):
        return Response(error_body(ErrorCode.BAD_REQUEST, _("Bad request.")), status=ErrorCode.BAD_REQUEST.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        return Response(error_body(ErrorCode.SERVER_ERROR, "Internal server error."),
                        status=ErrorCode.SERVER_ERROR.status)

    if isinstance(exc, exceptions.ValidationError):
        fields = _field_errors(exc.detail)
        first = next(iter(fields.values()))[0] if fields else {"code": "invalid", "message": "Invalid input."}
        response.data = error_body(ErrorCode.VALIDATION_ERROR, first["message"], fields)
    else:
        detail = getattr(exc, "detail", str(exc))
        code = detail.code if hasattr(detail, "code") else getattr(exc, "default_code", "error")
        response.data = error_body(str(code), str(detail))
        if isinstance(exc, exceptions.Throttled):
            response.data["error"]["retry_after"] = getattr(exc, "wait", None)  # set in __init__; not in the stubs
    return response


def json_error_view(code: ErrorCodeEnum, message: str):
    def view(request, exception=None):
        return JsonResponse(error_body(code, message), status=code.status)

    return view
