from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import services
from .models import TalentCertification


@admin.register(TalentCertification)
class TalentCertificationAdmin(admin.ModelAdmin):
    list_display = ("citizen", "level", "issued_by", "valid_until", "revoked")
    list_filter = ("level", "revoked")
    raw_id_fields = ("citizen",)
    readonly_fields = ("revoked_at", "created_at")
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        # Certifications change only through services (supersede, revoke), never by editing a row.
        return False

    @admin.action(description=_("Revoke the selected certifications"), permissions=["delete"])
    def revoke(self, request, queryset):
        for certification in queryset:
            services.certification_revoke(certification=certification)
