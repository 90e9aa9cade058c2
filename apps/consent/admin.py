from django.contrib import admin

from .models import AccessGrant, AccessLog, CatalogueProposal, Consent, DataCategory, Emergency, Purpose


class ReadOnlyAdmin(admin.ModelAdmin):
    """Changes go through the services (and the data-bureau API), which validate and log them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DataCategory)
class DataCategoryAdmin(ReadOnlyAdmin):
    list_display = ("code", "label_zh", "label_en", "sensitive", "epidemic_only")


@admin.register(Purpose)
class PurposeAdmin(ReadOnlyAdmin):
    list_display = ("code", "label_zh", "legal_basis", "retention_days", "text_version", "is_active")


@admin.register(AccessGrant)
class AccessGrantAdmin(ReadOnlyAdmin):
    list_display = ("organization", "purpose", "state", "valid_from", "valid_until", "approved_by_label")
    list_filter = ("state", "purpose")


@admin.register(CatalogueProposal)
class CatalogueProposalAdmin(ReadOnlyAdmin):
    """The bureau's audit trail: who proposed each catalogue change or grant, and who decided it."""

    list_display = ("id", "kind", "target", "organization", "state", "proposed_by_label", "decided_by_label",
                    "created_at", "decided_at")
    list_filter = ("state", "kind")


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ("id", "citizen", "purpose", "organization", "given_at", "expires_at", "withdrawn_at")


@admin.register(Emergency)
class EmergencyAdmin(ReadOnlyAdmin):
    list_display = ("name", "legal_reference", "starts_at", "ends_at")


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ("citizen", "seq", "created_at", "organization_slug", "purpose_code", "outcome", "reason")
    list_filter = ("outcome",)
