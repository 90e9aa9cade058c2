"""Admin for the ride code's side of transit. Accounts, certificates, the deny list and the events change only
through services (arrears, payment, issuing), so those are read-only here; the network is edited freely."""

from typing import Any

from django.contrib import admin

from .models import AccountEvent, DenyListDelta, Line, Reader, RideAccount, RiderCertificate, Stop


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Line)
class LineAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "mode", "operator")
    list_filter = ("mode", "operator")


@admin.register(Stop)
class StopAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "line", "sequence", "km", "operator")
    list_filter = ("operator",)


@admin.register(Reader)
class ReaderAdmin(admin.ModelAdmin):
    list_display = ("device_id", "kind", "operator", "line", "stop", "seen_group", "is_active", "last_seen_at")
    list_filter = ("kind", "is_active", "operator")
    # The secret is never shown (only its digest is kept); a new reader is registered through the service.
    exclude = ("credential_digest",)
    readonly_fields = ("last_seen_at",)

    def has_add_permission(self, request: Any) -> bool:
        return False


@admin.register(RideAccount)
class RideAccountAdmin(_ReadOnly):
    list_display = ("pk", "mode", "status", "concession", "created_at")
    list_filter = ("mode", "status", "concession")


@admin.register(RiderCertificate)
class RiderCertificateAdmin(_ReadOnly):
    list_display = ("serial", "operator", "fare_limit_fen", "concession", "issued_at", "expires_at", "revoked_at")
    list_filter = ("operator",)


@admin.register(DenyListDelta)
class DenyListDeltaAdmin(_ReadOnly):
    list_display = ("operator", "version", "action", "reason", "at")
    list_filter = ("operator", "action")


@admin.register(AccountEvent)
class AccountEventAdmin(_ReadOnly):
    list_display = ("account", "kind", "from_status", "to_status", "at")
    list_filter = ("kind",)
