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
