from django.contrib import admin

from .models import TalentCertification


@admin.register(TalentCertification)
class TalentCertificationAdmin(admin.ModelAdmin):
    list_display = ("citizen", "level", "issued_by", "valid_until", "revoked")
    list_filter = ("level", "revoked")
    raw_id_fields = ("citizen",)
    readonly_fields = ("revoked_at", "created_at")

    def has_change_permission(self, request, obj=None):
        # Certifications change only through services (supersede, revoke), never by editing a row.
        return False
