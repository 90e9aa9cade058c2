from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from guardian.admin import GuardedModelAdmin

from .models import ApiClient, Citizen, Membership, Organization


@admin.register(Citizen)
class CitizenAdmin(UserAdmin):
    list_display = ("username", "name", "id_masked", "phone", "is_staff", "real_name_verified_at")
    search_fields = ("username", "name", "phone")
    ordering = ("username",)
    readonly_fields = ("id_masked", "birth_date", "real_name_verified_at", "real_name_method")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Real name", {"fields": ("name", "id_masked", "birth_date", "phone", "real_name_verified_at",
                                  "real_name_method")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    readonly_fields = ("user", "role", "created_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # memberships go through services.membership_set, which also sets permissions


@admin.register(Organization)
class OrganizationAdmin(GuardedModelAdmin):
    list_display = ("slug", "name", "kind", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("slug", "name")
    inlines = [MembershipInline]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ("key_prefix", "organization", "name", "kind", "holder", "created_at", "revoked_at")
    raw_id_fields = ("holder",)
    readonly_fields = ("key_prefix", "key_hash", "created_at", "last_used_at")
    list_filter = ("kind",)
