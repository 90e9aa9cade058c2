"""Writes for consent, one module per topic; `disclose()` (in `gate`) is the one gate through which citizen data
reaches an organization. Callers import from `apps.consent.services`; the names below are the public surface.

gate            disclose(), DisclosureDenied, Disclosure, DENIAL_MESSAGES
catalogue       category_upsert, purpose_upsert, purpose_set_active, catalogue_ensure
grants          access_grant_create, access_grant_revoke
proposals       category_change_propose, purpose_change_propose, access_grant_propose, emergency_propose,
                proposal_approve, proposal_reject (the two-person rule for catalogue changes, grants without
                consent and emergencies)
consents        consent_give, consent_withdraw, receipt_key_rotate
representation  representation_create, representation_revoke, representation_end
emergencies     emergency_declare, emergency_end
retention       access_log_apply_retention
"""

from ..permissions import ADMIN_SCOPE, is_data_bureau_client
from .catalogue import _purpose, catalogue_ensure, category_upsert, purpose_set_active, purpose_upsert
from .consents import consent_give, consent_withdraw, receipt_key_rotate
from .emergencies import emergency_declare, emergency_end
from .gate import DENIAL_MESSAGES, Disclosure, DisclosureDenied, disclose
from .grants import DATA_BUREAU_SLUG, access_grant_create, access_grant_revoke, grant_needs_second_approver
from .proposals import (
    access_grant_propose,
    access_grant_submit,
    bureau_decider,
    category_change_propose,
    category_submit,
    emergency_propose,
    proposal_approve,
    proposal_reject,
    purpose_change_propose,
    purpose_submit,
)
from .representation import ELDERLY_AGE, representation_create, representation_end, representation_revoke
from .retention import REDACTED, access_log_apply_retention

__all__ = [
    "ADMIN_SCOPE", "DATA_BUREAU_SLUG", "DENIAL_MESSAGES", "ELDERLY_AGE", "REDACTED", "Disclosure",
    "DisclosureDenied", "_purpose", "access_grant_create", "access_grant_revoke", "access_log_apply_retention",
    "catalogue_ensure", "category_upsert", "consent_give", "consent_withdraw", "disclose", "emergency_declare",
    "emergency_end", "is_data_bureau_client", "purpose_set_active", "purpose_upsert", "receipt_key_rotate",
    "representation_create", "representation_end", "representation_revoke",
    "access_grant_propose", "category_change_propose", "grant_needs_second_approver", "proposal_approve",
    "proposal_reject", "purpose_change_propose", "access_grant_submit", "category_submit", "purpose_submit",
    "emergency_propose", "bureau_decider",
]
