from django.contrib import admin

from .models import Licence, LicenceEvent, LicenceType, PresentationRequest


@admin.register(LicenceType)
class LicenceTypeAdmin(admin.ModelAdmin):
    list_display = ("type_code", "label_zh", "label_en", "office", "category", "validity_days")
    readonly_fields = ("next_serial", "created_at")

    def has_change_permission(self, request, obj=None):
        # Defined through services (which check fields and purposes against the catalogue), never by editing rows.
        return False

    def has_add_permission(self, request):
        return False


class LicenceEventInline(admin.TabularInline):
    model = LicenceEvent
    extra = 0
    can_delete = False
    readonly_fields = ("action", "by", "reason", "at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin):
    list_display = ("identifier", "licence_type", "status", "valid_from", "valid_until")
    list_filter = ("status", "licence_type")
    raw_id_fields = ("citizen", "issued_by")
    inlines = [LicenceEventInline]

    def has_change_permission(self, request, obj=None):
        # Suspend, reinstate, revoke and renew go through services: they set the status-list bits too.
        return False

    def has_add_permission(self, request):
        return False  # issued through services (serial, identifier, audit event)


@admin.register(PresentationRequest)
class PresentationRequestAdmin(admin.ModelAdmin):
    list_display = ("pk", "verifier", "licence_type", "purpose", "created_at", "answered_at")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
