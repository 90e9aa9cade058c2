from django.contrib import admin

from .models import IssuerKey, PeerKey, StatusList


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
