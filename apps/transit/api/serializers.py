from rest_framework import serializers


class ReaderPackageInput(serializers.Serializer):
    since = serializers.IntegerField(min_value=0, default=0, required=False,
                                     help_text="The deny-list version the reader holds; only later deltas are sent.")


class IssuerKeyOutput(serializers.Serializer):
    iss = serializers.CharField()
    kid = serializers.CharField()
    alg = serializers.CharField()
    nbf = serializers.IntegerField()
    exp = serializers.IntegerField()
    status = serializers.CharField()
    jwk = serializers.DictField()


class DenyDeltaOutput(serializers.Serializer):
    version = serializers.IntegerField()
    pseudonym = serializers.CharField()
    action = serializers.ChoiceField(choices=["add", "remove"])
    expires_at = serializers.IntegerField(help_text="After this the certificate is expired; forget the entry.")


class DenyListOutput(serializers.Serializer):
    version = serializers.IntegerField()
    since = serializers.IntegerField()
    deltas = DenyDeltaOutput(many=True)


class ReaderInfoOutput(serializers.Serializer):
    device_id = serializers.CharField()
    kind = serializers.CharField()
    seen_group = serializers.CharField()
    line = serializers.CharField(allow_null=True)
    stop = serializers.CharField(allow_null=True)


class ReaderPackageOutput(serializers.Serializer):
    type = serializers.CharField()
    operator = serializers.CharField()
    reader = ReaderInfoOutput()
    issued_at = serializers.IntegerField()
    valid_for_seconds = serializers.IntegerField()
    issuer_keys = IssuerKeyOutput(many=True)
    deny_list = DenyListOutput()
    fare_fen = serializers.IntegerField()
    fares = serializers.DictField()


class DeviceKeyInput(serializers.Serializer):
    kty = serializers.ChoiceField(choices=["EC"])
    crv = serializers.ChoiceField(choices=["P-256"])
    x = serializers.CharField(max_length=64)
    y = serializers.CharField(max_length=64)


class CertificateInput(serializers.Serializer):
    operator = serializers.SlugField(max_length=64, help_text="The operator's slug, e.g. `city-bus`.")
    device_key = DeviceKeyInput(required=False, allow_null=True, default=None,
                                help_text="The device's P-256 public key as a JWK; null for server-signed codes.")


class CertificateOutput(serializers.Serializer):
    certificate = serializers.CharField(help_text="The COSE_Sign1 bytes, base64url: embed them in every code.")
    serial = serializers.CharField()
    operator = serializers.CharField()
    issued_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    code_lifetime = serializers.IntegerField(help_text="Sign a fresh code at least this often (seconds).")
    fare_limit_fen = serializers.IntegerField()
    concession = serializers.CharField()
    health_colour = serializers.CharField(allow_null=True)


class ServerCodeInput(serializers.Serializer):
    operator = serializers.SlugField(max_length=64)


class ServerCodeOutput(serializers.Serializer):
    code = serializers.CharField(help_text="`TR1:` + Base45; draw it as a QR code (alphanumeric mode).")
    generated_at = serializers.IntegerField()
    refresh_after = serializers.IntegerField(help_text="Fetch the next code by this time (epoch seconds).")
