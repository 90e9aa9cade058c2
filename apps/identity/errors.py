"""Identity's error codes: each member is the machine-readable code a client sees and its one HTTP status."""

from citycode.error_codes import ErrorCodeEnum


class IdentityErrorCode(ErrorCodeEnum):
    INVALID_CREDENTIALS = "invalid_credentials", 400
    REAL_NAME_MISMATCH = "real_name_mismatch", 400
    BAD_TOKEN = "bad_token", 401
    BAD_API_KEY = "bad_api_key", 401
    INVALID_REFRESH_TOKEN = "invalid_refresh_token", 401
    REFRESH_TOKEN_REUSED = "refresh_token_reused", 401
    SESSION_NOT_FOUND = "session_not_found", 404
    ACCOUNT_TAKEN = "account_taken", 409
    ALREADY_REGISTERED = "already_registered", 409
