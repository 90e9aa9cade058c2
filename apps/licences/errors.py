"""Licences' error codes: each member is the machine-readable code a client sees and its one HTTP status.

A refused presentation's code is its verification reason (``mdoc.REASONS``); tests check every reason is here."""

from apps.codes.plugin_api import ErrorCodeEnum


class LicencesErrorCode(ErrorCodeEnum):
    # A refused presentation: the reason is the code (bad_prefix … expired, revoked share codes' statuses).
    BAD_PREFIX = "bad_prefix", 400
    BAD_ENCODING = "bad_encoding", 400
    UNKNOWN_KID = "unknown_kid", 400
    BAD_SIGNATURE = "bad_signature", 400
    WRONG_TYPE = "wrong_type", 400
    EXPIRED = "expired", 400
    NOT_YET_VALID = "not_yet_valid", 400
    REVOKED = "revoked", 400
    STATUS_UNKNOWN = "status_unknown", 400
    NOT_BOUND = "not_bound", 400
    DIGEST_MISMATCH = "digest_mismatch", 400

    UNKNOWN_LICENCE_TYPE = "unknown_licence_type", 404
    LICENCE_NOT_FOUND = "licence_not_found", 404
    REQUEST_NOT_FOUND = "request_not_found", 404
    NOT_OFFICE_STAFF = "not_office_staff", 403
    NO_GRANT = "no_grant_for_purpose", 403
    NOT_A_LICENCE_OFFICE = "not_a_licence_office", 400
    UNKNOWN_PURPOSE = "unknown_purpose", 404
    PURPOSE_NOT_FOR_TYPE = "purpose_not_for_type", 400
    ELEMENT_OUTSIDE_PURPOSE = "element_outside_purpose", 400
    BAD_FIELDS = "bad_fields", 400
    BAD_VALUES = "bad_values", 400
    CITIZEN_NOT_FOUND = "citizen_not_found", 404
    OFFICE_NOT_FOUND = "office_not_found", 404
    NO_ELEMENTS_CHOSEN = "no_elements_chosen", 400
    LICENCE_NOT_IN_FORCE = "licence_not_in_force", 409
    LICENCE_REVOKED = "licence_revoked", 409
    REQUEST_EXPIRED = "request_expired", 409
    REQUEST_ANSWERED = "request_answered", 409
    NOT_RENEWABLE_YET = "not_renewable_yet", 409
    LICENCE_EXISTS = "licence_exists", 409
