"""The error-code enums' base and the cross-cutting codes. Kept apart from `citycode.errors`, which imports DRF's
views: the authentication classes DRF loads at that import need identity's codes, so the codes import nothing."""

from enum import StrEnum


class ErrorCodeEnum(StrEnum):
    """Base of every app's error codes (`apps/<app>/errors.py`, Saleor's `error_codes.py` shape). A member's
    value is the machine-readable code clients see and `.status` its one HTTP status, so the same code can
    never answer with two statuses. Members are strings: `member == "not_found"` holds."""

    status: int

    def __new__(cls, code: str, status: int) -> "ErrorCodeEnum":
        member = str.__new__(cls, code)
        member._value_ = code
        member.status = status
        return member

    @classmethod
    def of(cls, code: str) -> "ErrorCodeEnum":
        """The member whose code is `code` (a reason computed at run time); KeyError for an unknown one.
        Spelled out because mypy reads `Enum(value)` as a call to this class's two-argument `__new__`."""
        return cls._value2member_map_[code]  # type: ignore[return-value]  # the map holds members of cls


class ErrorCode(ErrorCodeEnum):
    """The cross-cutting codes: the error handler's, Django's handlers' and DRF's own."""

    VALIDATION_ERROR = "validation_error", 400
    PARSE_ERROR = "parse_error", 400
    BAD_REQUEST = "bad_request", 400
    TOO_MANY_FIELDS = "too_many_fields", 400
    NOT_AUTHENTICATED = "not_authenticated", 401
    AUTHENTICATION_FAILED = "authentication_failed", 401
    PERMISSION_DENIED = "permission_denied", 403
    NOT_FOUND = "not_found", 404
    METHOD_NOT_ALLOWED = "method_not_allowed", 405
    NOT_ACCEPTABLE = "not_acceptable", 406
    REQUEST_TOO_LARGE = "request_too_large", 413
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", 415
    THROTTLED = "throttled", 429
    SERVER_ERROR = "server_error", 500
