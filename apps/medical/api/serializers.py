from rest_framework import serializers

from ..models import RegistrationLevel


class MedicalHospitalOutput(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    name_en = serializers.CharField()


class MedicalSessionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    hospital = serializers.SlugField(source="hospital.slug")
    department = serializers.CharField(source="department.name_zh")
    department_en = serializers.CharField(source="department.name_en")
    doctor = serializers.CharField(source="doctor.name")
    doctor_title = serializers.CharField(source="doctor.title")
    date = serializers.DateField()
    starts_at = serializers.TimeField(format="%H:%M")
    ends_at = serializers.TimeField(format="%H:%M")
    registration_level = serializers.CharField()
    fee_fen = serializers.IntegerField(help_text="The registration fee in fen (1/100 yuan).")
    capacity = serializers.IntegerField()
    places_left = serializers.IntegerField()


class MedicalSessionListInput(serializers.Serializer):
    hospital = serializers.SlugField(required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


class MedicalSessionCreateInput(serializers.Serializer):
    doctor = serializers.IntegerField(min_value=1)
    date = serializers.DateField()
    starts_at = serializers.TimeField()
    ends_at = serializers.TimeField()
    capacity = serializers.IntegerField(min_value=1, max_value=10_000)
    fee_fen = serializers.IntegerField(min_value=0, max_value=10_000_000)
    registration_level = serializers.ChoiceField(choices=RegistrationLevel.choices, default=RegistrationLevel.GENERAL)


class MedicalBookInput(serializers.Serializer):
    session = serializers.IntegerField(min_value=1)
    idempotency_key = serializers.CharField(
        max_length=64, required=False, default="",
        help_text="Your key for this booking attempt: the same key sent again returns the first booking.",
    )


class MedicalAppointmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text="FHIR Appointment.status: pending (held, unpaid), booked, arrived, "
                                             "fulfilled, cancelled, noshow.")
    session = MedicalSessionOutput()
    place_no = serializers.IntegerField()
    queue_no = serializers.IntegerField(allow_null=True)
    fee_fen = serializers.IntegerField()
    held_until = serializers.DateTimeField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    checked_in_at = serializers.DateTimeField(allow_null=True)
    cancel_reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class MedicalQueueEntryOutput(serializers.Serializer):
    """One line of the queue: numbers and times only (the waiting room can show it)."""

    appointment = serializers.IntegerField(source="pk")
    queue_no = serializers.IntegerField(allow_null=True)
    place_no = serializers.IntegerField()
    status = serializers.CharField()
    checked_in_at = serializers.DateTimeField(allow_null=True)


class MedicalQueueOutput(serializers.Serializer):
    session = MedicalSessionOutput()
    now_serving = serializers.IntegerField(allow_null=True)
    waiting = MedicalQueueEntryOutput(many=True)
    seen = serializers.IntegerField()


class MedicalCheckInInput(serializers.Serializer):
    token = serializers.CharField(max_length=2000, trim_whitespace=False, help_text="The patient's scanned code.")


class MedicalCheckInOutput(serializers.Serializer):
    appointment = serializers.IntegerField()
    queue_no = serializers.IntegerField()
    session = serializers.IntegerField()
    department = serializers.CharField()
    doctor = serializers.CharField()
    date = serializers.DateField()
    starts_at = serializers.CharField()
