"""The health app's error codes: each member is the machine-readable code a client sees and its one HTTP status."""

from apps.codes.plugin_api import ErrorCodeEnum


class HealthErrorCode(ErrorCodeEnum):
    INVALID_CASE_LIST = "invalid_case_list", 400
    INVALID_RULE_SET = "invalid_rule_set", 400
    RULE_INPUT_NOT_EPIDEMIOLOGICAL = "rule_input_not_epidemiological", 400
    RULE_TEST_FAILED = "rule_test_failed", 400
    NOTICE_PERIOD = "notice_period", 400
    VERSION_NOT_NEWER = "version_not_newer", 400
    UNKNOWN_SYMPTOM = "unknown_symptom", 400
    DECLARATION_DATE = "declaration_date", 400
    NOT_HEALTH_COMMISSION = "not_health_commission", 403
    UNKNOWN_REGION = "unknown_region", 404
    UNKNOWN_RULE_SET = "unknown_rule_set", 404
    UNKNOWN_IMPORT = "unknown_import", 404
    RULE_SET_NOT_DRAFT = "rule_set_not_draft", 409
    ALREADY_DECLARED = "already_declared", 409
    INVALID_COLOUR_CHANGE = "invalid_colour_change", 400


class HealthReviewErrorCode(ErrorCodeEnum):
    """Review, appeals and the purpose key (health_code's part of the health app)."""

    REASON_NOT_EPIDEMIC = "reason_not_epidemic", 400
    LEGAL_REFERENCE_REQUIRED = "legal_reference_required", 400
    NOTE_REQUIRED = "note_required", 400
    NOTHING_TO_APPEAL = "nothing_to_appeal", 400
    UNKNOWN_GROUNDS = "unknown_grounds", 400
    STATEMENT_REQUIRED = "statement_required", 400
    UNKNOWN_CITIZENS = "unknown_citizens", 400
    OWN_REQUEST = "own_request", 403
    OWN_APPEAL = "own_appeal", 403
    OWN_COLOUR = "own_colour", 403
    NO_EPIDEMIC_CONTROL_GRANT = "no_epidemic_control_grant", 403
    NOT_REVIEWER = "not_reviewer", 403
    UNKNOWN_MANUAL_CHANGE = "unknown_manual_change", 404
    UNKNOWN_APPEAL = "unknown_appeal", 404
    ALREADY_DECIDED = "already_decided", 409
    CHANGE_PENDING = "change_pending", 409
    APPEAL_OPEN = "appeal_open", 409
    COLOUR_UNCHANGED = "colour_unchanged", 409
    BATCH_KEY_REUSED = "batch_key_reused", 409
    PURPOSE_KEY_WIPED = "purpose_key_wiped", 410
