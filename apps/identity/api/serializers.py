from rest_framework import serializers


class RegisterInput(serializers.Serializer):
    username = serializers.RegexField(r"^[A-Za-z0-9_.-]{3,40}$", max_length=40, required=False)
    name = serializers.CharField(max_length=100)
    id_number = serializers.CharField(max_length=32, trim_whitespace=True)
    phone = serializers.CharField(max_length=20)
    password = serializers.CharField(write_only=True, min_length=8, max_length=128)
    # The password is validated against the user's name, user name and phone by the service.


class RegisterOutput(serializers.Serializer):
    """The same answer whether the account was created or refused for what is stored (see the view)."""

    status = serializers.CharField()
    message = serializers.CharField()


class CitizenOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    id_masked = serializers.CharField()
    phone = serializers.CharField()
    real_name_verified = serializers.BooleanField(
        source="is_real_name_verified", help_text="True only when a registry confirmed the name and number."
    )
    real_name_status = serializers.ChoiceField(
        choices=["verified", "not_registry_verified", "unverified"],
        help_text="`not_registry_verified`: the city has no registry; only the number's checksum was checked.",
    )
    is_minor = serializers.BooleanField()
    date_joined = serializers.DateTimeField()


class TokenInput(serializers.Serializer):
    # Bounded like the stored fields (user name 150, password 128): an unbounded name was a 500 on SQLite.
    username = serializers.CharField(max_length=150, help_text="User name or phone number.")
    password = serializers.CharField(write_only=True, max_length=128)


class TokenOutput(serializers.Serializer):
    token = serializers.CharField(help_text="The access token: send it as `Authorization: Bearer <token>`.")
    token_type = serializers.CharField()
    expires_at = serializers.DateTimeField(help_text="When the access token ends (minutes, not days).")
    refresh_token = serializers.CharField(help_text="Single use: POST it to /api/v1/auth/refresh for a new pair.")
    refresh_expires_at = serializers.DateTimeField(help_text="When the sign-in ends; sign in again after it.")


class RefreshInput(serializers.Serializer):
    refresh_token = serializers.CharField(max_length=128)


class SessionOutput(serializers.Serializer):
    """A sign-in as its citizen sees it: never the token itself, nor its digest."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(source="refresh_expires_at", allow_null=True,
                                           help_text="When the sign-in ends unless renewed or revoked first.")
    user_agent = serializers.CharField()
    current = serializers.BooleanField(help_text="The sign-in this request was made with.")


class MembershipOutput(serializers.Serializer):
    organization = serializers.SlugField(source="organization.slug")
    organization_name = serializers.CharField(source="organization.name")
    kind = serializers.CharField(source="organization.kind")
    role = serializers.CharField()


class MeOutput(CitizenOutput):
    memberships = MembershipOutput(many=True, source="memberships_list")


class ApiClientOutput(serializers.Serializer):
    organization = serializers.SlugField(source="organization.slug")
    name = serializers.CharField()
    kind = serializers.CharField()
    device_id = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    key_prefix = serializers.CharField()
