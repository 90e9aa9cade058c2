from django.contrib import admin

from .models import CaseListImport, CitizenColour, ColourTransition, Region, RiskArea, RuleSetVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    # Colours, transitions, imports and rule sets change only through services (with their checks and records).
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "id_prefix", "is_default")


@admin.register(RiskArea)
class RiskAreaAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "level", "risk_from", "risk_until")


@admin.register(CitizenColour)
class CitizenColourAdmin(ReadOnlyAdmin):
    list_display = ("citizen", "colour", "region", "rule_id", "next_change_at", "updated_at")
    list_filter = ("colour", "region")


@admin.register(ColourTransition)
class ColourTransitionAdmin(ReadOnlyAdmin):
    list_display = ("citizen", "from_colour", "to_colour", "cause", "rule_id", "at")
    list_filter = ("cause", "to_colour")


@admin.register(CaseListImport)
class CaseListImportAdmin(ReadOnlyAdmin):
    list_display = ("pk", "organization", "state", "rows_read", "matched", "recoloured", "created_at")


@admin.register(RuleSetVersion)
class RuleSetVersionAdmin(ReadOnlyAdmin):
    list_display = ("region", "version", "state", "valid_from", "valid_until", "published_at")
