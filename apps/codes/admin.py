from django.contrib import admin

from .models import DefinedCode, DefinedCodeTypeVersion, IssuerKey, PeerKey, StatusList


@admin.register(IssuerKey)
class IssuerKeyAdmin(admin.ModelAdmin):
    """Read-only: keys are created and rotated by services (rotate_issuer_keys), never edited by hand."""

    list_display = ("kid", "issuer", "alg", "status", "not_before", "rotate_after", "not_after")
    list_filter = ("status", "alg", "issuer")
    exclude = ("private_key_encrypted",)
    readonly_fields = ("issuer", "kid", "alg", "public_jwk", "status", "not_before", "rotate_after", "not_after",
                       "created_at", "retired_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PeerKey)
class PeerKeyAdmin(admin.ModelAdmin):
    list_display = ("issuer", "kid", "alg", "not_before", "not_after", "imported_at")
    list_filter = ("issuer",)

    def has_add_permission(self, request):
        return False  # peer keys come only from a verified trust list (import_trust_list)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StatusList)
class StatusListAdmin(admin.ModelAdmin):
    list_display = ("code_type", "issuer", "next_index", "version", "updated_at")
    readonly_fields = ("code_type", "issuer", "next_index", "version", "updated_at")

    def has_add_permission(self, request):
        return False


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DefinedCodeTypeVersion)
class DefinedCodeTypeVersionAdmin(_ReadOnly):
    """Read-only: a department proposes at /codes/designer/ or the API, a second person publishes (four eyes);
    an edit here would bypass both."""

    list_display = ("code_type", "version", "state", "label_zh", "label_en", "proposed_by_label", "decided_by_label",
                    "published_at")
    list_filter = ("state",)


@admin.register(DefinedCode)
class DefinedCodeAdmin(_ReadOnly):
    """Read-only: issuers issue and revoke through the API (idempotent on their reference)."""

    list_display = ("version", "issued_by", "reference", "valid_until", "revoked_at", "created_at")
    exclude = ("subject_hash", "claims")  # the keyed hash and the claims are the holder's, not the operator's
