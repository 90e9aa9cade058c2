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


class FareErrorCode(ErrorCodeEnum):
    """Fares, taps, settlement and money (the transit_fares part of issue 9)."""

    NO_FARE_NETWORK = "no_fare_network", 404
    BATCH_TOO_LARGE = "batch_too_large", 400
    BATCH_ID_REUSED = "batch_id_reused", 409
    DUPLICATE_TAP_IN_BATCH = "duplicate_tap_in_batch", 400
    BAD_TAP_DIRECTION = "bad_tap_direction", 400
    TAP_IN_FUTURE = "tap_in_future", 400
    READER_NOT_PLACED = "reader_not_placed", 400
    SETTLEMENT_RUNNING = "settlement_running", 409
    BAD_AMOUNT = "bad_amount", 400
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused", 409
    NO_DEBT = "no_debt", 400
    NOT_OPERATOR_STAFF = "not_operator_staff", 403
    NO_SUCH_SETTLEMENT = "no_such_settlement", 404
    IDEMPOTENCY_KEY_REQUIRED = "idempotency_key_required", 400
