from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import selectors
from ..models import LegalBasis, Representation


class CategoryOutput(serializers.Serializer):
    code = serializers.CharField()
    label_zh = serializers.CharField()
    label_en = serializers.CharField()
    sensitive = serializers.BooleanField()
    epidemic_only = serializers.BooleanField()


class PurposeOutput(serializers.Serializer):
    code = serializers.CharField()
    label_zh = serializers.CharField()
    label_en = serializers.CharField()
    description_zh = serializers.CharField()
    description_en = serializers.CharField()
    legal_basis = serializers.CharField()
    retention_days = serializers.IntegerField()
    epidemic_control = serializers.BooleanField()
    text_version = serializers.IntegerField()
    is_active = serializers.BooleanField()
    categories = CategoryOutput(many=True, source="categories.all")


class ConsentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    purpose = serializers.CharField(source="purpose.code")
    organization = serializers.CharField(source="organization.slug", allow_null=True, default=None)
    categories = serializers.ListField(child=serializers.CharField())
    sensitive = serializers.BooleanField()
    text_version = serializers.IntegerField()
    status = serializers.CharField(help_text="active, withdrawn, expired or needs_renewal (the purpose changed, "
                                   "or its data was reclassified: consent again to the current text).")
    renewal_categories = serializers.ListField(
        child=serializers.CharField(), help_text="Categories this consent no longer covers until renewed.")
    given_at = serializers.DateTimeField()
    given_by = serializers.CharField(source="given_by_label")
    expires_at = serializers.DateTimeField(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    withdrawn_by = serializers.CharField(source="withdrawn_by_label")


class ConsentGiveInput(serializers.Serializer):
    purpose = serializers.CharField(max_length=64)
    categories = serializers.ListField(child=serializers.CharField(max_length=64), min_length=1, max_length=50)
    organization = serializers.SlugField(max_length=64, required=False, allow_null=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)
    text_version = serializers.IntegerField(required=False, min_value=1)
    sensitive_confirmed = serializers.BooleanField(
        default=False, help_text="Required (true) for a separate consent to one sensitive category."
    )
    on_behalf_of = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1,  # a citizen id (BigAutoField): larger ones overflow the query
        help_text="Citizen id of the minor or elderly person you act for as guardian or carer.",
    )


class ReceiptOutput(serializers.Serializer):
    consent_id = serializers.IntegerField()
    receipt = serializers.CharField(help_text="Compact JWS (EdDSA); verify with GET /api/v1/consent/receipt-keys.")
    payload = serializers.JSONField()


class ActorOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["organization", "staff", "api_client", ""])
    # The stubs see Field.label; SerializerMetaclass moves a declared field out of the class attributes.
    label = serializers.CharField()  # type: ignore[assignment]
    display = serializers.CharField(help_text="In the reader's language.")


class LogEmergencyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    legal_reference = serializers.CharField()


class AccessLogOutput(serializers.Serializer):
    seq = serializers.IntegerField()
    at = serializers.DateTimeField(source="created_at")
    organization = serializers.CharField(source="organization_slug")
    organization_name = serializers.SerializerMethodField()
    purpose = serializers.CharField(source="purpose_code")
    categories = serializers.ListField(child=serializers.CharField())
    requested = serializers.ListField(child=serializers.CharField())
    basis = serializers.CharField()
    outcome = serializers.CharField()
    reason = serializers.CharField()
    who = serializers.SerializerMethodField(help_text="Who acted, as a sentence in the reader's language.")
    actor = serializers.SerializerMethodField()
    emergency = serializers.SerializerMethodField(
        help_text="The declared emergency an emergency-basis disclosure relied on; null otherwise.")

    def get_organization_name(self, row) -> str:
        return row.organization.name if row.organization_id else ""

    def get_who(self, row) -> str:
        actor = selectors.access_log_actor_get(row=row)
        return actor["display"] if actor else ""

    @extend_schema_field(ActorOutput(allow_null=True))
    def get_actor(self, row) -> dict | None:
        return selectors.access_log_actor_get(row=row)

    @extend_schema_field(LogEmergencyOutput(allow_null=True))
    def get_emergency(self, row) -> dict | None:
        return selectors.access_log_emergency_get(row=row)


class JwksOutput(serializers.Serializer):
    keys = serializers.ListField(child=serializers.DictField())


# -- data bureau ---------------------------------------------------------------------------------------------


class CategoryUpsertInput(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    label_zh = serializers.CharField(max_length=200)
    label_en = serializers.CharField(max_length=200)
    sensitive = serializers.BooleanField()
    epidemic_only = serializers.BooleanField(required=False, allow_null=True, default=None)
    legal_reference = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PurposeUpsertInput(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    label_zh = serializers.CharField(max_length=200)
    label_en = serializers.CharField(max_length=200)
    description_zh = serializers.CharField(required=False, allow_blank=True, default="")
    description_en = serializers.CharField(required=False, allow_blank=True, default="")
    legal_basis = serializers.ChoiceField(choices=LegalBasis.choices, default=LegalBasis.CONSENT)
    categories = serializers.ListField(child=serializers.CharField(max_length=64), min_length=1)
    retention_days = serializers.IntegerField(min_value=1, max_value=36500)
    epidemic_control = serializers.BooleanField(required=False, allow_null=True, default=None)
    legal_reference = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="",
        help_text="Required for a statutory basis: the law and article that oblige this use.",
    )


class GrantOutput(serializers.Serializer):
    id = serializers.IntegerField()
    organization = serializers.CharField(source="organization.slug")
    purpose = serializers.CharField(source="purpose.code")
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField(allow_null=True)
    state = serializers.CharField()
    status = serializers.SerializerMethodField()
    approved_by = serializers.CharField(source="approved_by_label")
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)

    def get_status(self, grant) -> str:
        return grant.status_at(self.context["now"])


class GrantCreateInput(serializers.Serializer):
    organization = serializers.SlugField(max_length=64)
    purpose = serializers.CharField(max_length=64)
    valid_from = serializers.DateTimeField(required=False, allow_null=True)
    valid_until = serializers.DateTimeField(required=False, allow_null=True)
    legal_reference = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="",
        help_text="Required for a statutory purpose: the law and article that oblige this organization.",
    )


class ProposalOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    target = serializers.CharField(help_text="The purpose or category code (an emergency: the purposes it covers).")
    organization = serializers.CharField(source="organization.slug", allow_null=True, default=None)
    changes = serializers.JSONField(help_text="The proposed values, applied as they stand on approval.")
    legal_reference = serializers.CharField()
    state = serializers.CharField()
    proposed_by = serializers.CharField(source="proposed_by_label")
    proposed_at = serializers.DateTimeField(source="created_at")
    decided_by = serializers.CharField(source="decided_by_label")
    decided_at = serializers.DateTimeField(allow_null=True)
    grant = serializers.IntegerField(source="grant_id", allow_null=True)
    emergency = serializers.IntegerField(source="emergency_id", allow_null=True)


class EmergencyInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    legal_reference = serializers.CharField(max_length=500)
    purposes = serializers.ListField(child=serializers.CharField(max_length=64), min_length=1)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class EmergencyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    legal_reference = serializers.CharField()
    purposes = serializers.SerializerMethodField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    declared_by = serializers.CharField(source="declared_by_label")

    def get_purposes(self, emergency) -> list[str]:
        return sorted(p.code for p in emergency.purposes.all())


class RepresentationInput(serializers.Serializer):
    representative_id_number = serializers.CharField(max_length=32)
    represented_id_number = serializers.CharField(max_length=32)
    kind = serializers.ChoiceField(choices=Representation.Kind.choices)
    valid_until = serializers.DateTimeField()
    purposes = serializers.ListField(child=serializers.CharField(max_length=64), required=False, default=list)


class RepresentationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    purposes = serializers.ListField(child=serializers.CharField())
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField()
