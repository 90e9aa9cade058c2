"""Codes' error codes: each member is the machine-readable code a client sees and its one HTTP status.

A refused token's code is its verification reason (`tokens.VerificationFailed.reason`), so every reason in
`tokens.REFUSAL_MESSAGES` is a member here (tests/test_error_codes.py checks)."""

from citycode.error_codes import ErrorCodeEnum


class CodesErrorCode(ErrorCodeEnum):
    # A refused token (scan, wallet refresh): the reason is the code.
    BAD_PREFIX = "bad_prefix", 400
    BAD_ENCODING = "bad_encoding", 400
    UNKNOWN_KID = "unknown_kid", 400
    BAD_SIGNATURE = "bad_signature", 400
    EXPIRED = "expired", 400
    NOT_YET_VALID = "not_yet_valid", 400
    REVOKED = "revoked", 400
    WRONG_TYPE = "wrong_type", 400
    NON_CANONICAL = "non_canonical", 400
    UNKNOWN_SUBJECT = "unknown_subject", 400
    # A code type the city does not know: 404 like every unknown name (ConsentErrorCode.UNKNOWN_PURPOSE). It
    # was 404 for a wallet path and 400 for a scanned token of that type.
    UNKNOWN_CODE_TYPE = "unknown_code_type", 404

    BAD_IMAGE = "bad_image", 400
    IMAGE_TOO_LARGE = "image_too_large", 400
    NO_CODE_IN_IMAGE = "no_code_in_image", 400
    TOKEN_IN_URL = "token_in_url", 400
    TRUST_LIST_INVALID = "trust_list_invalid", 400
    TRUST_LIST_IS_OURS = "trust_list_is_ours", 400
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm", 400
    CODE_NOT_HELD = "code_not_held", 404
    STATUS_ENTRY_NOT_FOUND = "status_entry_not_found", 404
    STATUS_LIST_NOT_FOUND = "status_list_not_found", 404
    ALREADY_USED = "already_used", 409
    # Department-defined code types (issue 12).
    CODE_TYPE_TAKEN = "code_type_taken", 409
    VERSION_DECIDED = "version_decided", 409
    NOT_A_DEPARTMENT = "not_a_department", 403
    NOT_AN_ISSUER = "not_an_issuer", 403
    OWN_PROPOSAL = "own_proposal", 403
    KEY_WITHOUT_HOLDER = "key_without_holder", 403
    SCHEMA_INVALID = "schema_invalid", 400
    CLAIMS_INVALID = "claims_invalid", 400
    CODE_NOT_FOUND = "code_not_found", 404
    NO_SIGNING_KEY = "no_signing_key", 503
