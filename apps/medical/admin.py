from django.contrib import admin

from .models import Appointment, ClinicSession, Department, Doctor


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name_zh", "name_en", "hospital")
    list_filter = ("hospital",)


@admin.register(Doctor)
class DoctorAdmin(admin.ModelAdmin):
    list_display = ("name", "title", "department", "hospital")
    list_filter = ("hospital",)
    raw_id_fields = ("user",)


@admin.register(ClinicSession)
class ClinicSessionAdmin(admin.ModelAdmin):
    list_display = ("doctor", "date", "starts_at", "ends_at", "capacity", "booked", "queue_last", "fee_fen")
    list_filter = ("hospital", "date")
    # The counters move only by the services' conditional UPDATEs; editing them by hand would break the count.
    readonly_fields = ("booked", "places_issued", "queue_last")


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ("pk", "session", "status", "place_no", "queue_no", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("patient", "session")

    def has_change_permission(self, request, obj=None):
        # Appointments change only through services (book, pay, release, check in): never by editing a row.
        return False

    def has_add_permission(self, request):
        return False

# The money side's admin (read-only): its own module.
from . import billing_admin  # noqa: E402,F401
