"""Consent's error codes: each member is the machine-readable code a client sees and its one HTTP status.

The precise reasons disclose() logs (`services.DENIAL_MESSAGES`) are not here: they never reach the
organization, which only ever sees NOT_DISCLOSED."""

from citycode.error_codes import ErrorCodeEnum


class ConsentErrorCode(ErrorCodeEnum):
    CATEGORY_NOT_ALLOWED = "category_not_allowed", 400
    CONSENT_NOT_APPLICABLE = "consent_not_applicable", 400
    INVALID_APPROVER = "invalid_approver", 400
    INVALID_LIMIT = "invalid_limit", 400
    INVALID_STATE = "invalid_state", 400
    NOT_A_MINOR = "not_a_minor", 400
    NOT_ELDERLY = "not_elderly", 400
    ORGANIZATION_INACTIVE = "organization_inactive", 400
    PURPOSE_NOT_ALLOWED = "purpose_not_allowed", 400
    PURPOSE_NOT_EMERGENCY = "purpose_not_emergency", 400
    SENSITIVE_BUNDLED = "sensitive_bundled", 400
    SENSITIVE_NEEDS_EXPLICIT_CONSENT = "sensitive_needs_explicit_consent", 400
    GUARDIAN_NOT_ENDABLE = "guardian_not_endable", 403
    GUARDIAN_REQUIRED = "guardian_required", 403
    NOT_A_PARTY = "not_a_party", 403
    NOT_A_REPRESENTATIVE = "not_a_representative", 403
    NOT_DATA_BUREAU = "not_data_bureau", 403
    NOT_DISCLOSED = "not_disclosed", 403
    OWN_PROPOSAL = "own_proposal", 403
    KEY_WITHOUT_HOLDER = "key_without_holder", 403
    UNKNOWN_MONTH = "unknown_month", 404
    # The two-person rule: this actor alone may not make the change, whatever state the record is in. It was
    # 409 for catalogue changes and 403 for grants; 403 is what it means.
    PROPOSAL_REQUIRED = "proposal_required", 403
    UNKNOWN_CATEGORY = "unknown_category", 404
    UNKNOWN_ORGANIZATION = "unknown_organization", 404
    # A purpose code the city does not know, wherever it is named (the gate, the scan API, the catalogue, a
    # representation). It was 400 for a representation; every other place, including the scan API's answer
    # before anything is logged, says 404.
    UNKNOWN_PURPOSE = "unknown_purpose", 404
    NO_CHANGE = "no_change", 409
    PROPOSAL_DECIDED = "proposal_decided", 409
    PROPOSAL_STALE = "proposal_stale", 409
    STALE_TEXT_VERSION = "stale_text_version", 409
