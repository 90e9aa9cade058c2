"""Transit's error codes: each member is the machine-readable code a client sees and its one HTTP status.

A ride code refused by a reader carries its reason (``reader.REFUSALS``) in the tap record, not as an HTTP
error: readers work offline."""

from apps.codes.plugin_api import ErrorCodeEnum


class TransitErrorCode(ErrorCodeEnum):
    BAD_READER_CREDENTIAL = "bad_reader_credential", 401
    NOT_AN_OPERATOR = "not_an_operator", 400
    BAD_DEVICE_KEY = "bad_device_key", 400
    UNKNOWN_OPERATOR = "unknown_operator", 404
    NO_RIDE_ACCOUNT = "no_ride_account", 404
    RIDE_ACCOUNT_EXISTS = "ride_account_exists", 409
    ACCOUNT_IN_ARREARS = "account_in_arrears", 403
    ACCOUNT_CLOSED = "account_closed", 403
