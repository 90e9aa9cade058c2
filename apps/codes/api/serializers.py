from rest_framework import serializers


class HeldCodeOutput(serializers.Serializer):
    type = serializers.CharField(help_text="The code type key, e.g. `city` or `talent`.")
    # The metaclass takes declared fields off the class, so this shadows no Field.label at run time.
    label = serializers.CharField(help_text="The code's name in the request's language.")  # type: ignore[assignment]
    labels = serializers.DictField(child=serializers.CharField(), help_text="`{\"zh-hans\": ..., \"en\": ...}`")
    token = serializers.CharField(help_text="The signed token; draw it as a QR code (alphanumeric mode).")
    issued_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    refresh_after = serializers.DateTimeField(help_text="Fetch the next token at this time.")
    qr_svg_url = serializers.CharField(help_text="This token as an SVG QR code.")
    qr_png_url = serializers.CharField(help_text="This token as a PNG QR code.")


class HeldCodesOutput(serializers.Serializer):
    codes = HeldCodeOutput(many=True)


class QrQuery(serializers.Serializer):
    token = serializers.CharField(
        required=False, max_length=2000,
        help_text="A token of this type issued to you; without it a fresh token is issued and drawn.",
    )


class ScanInput(serializers.Serializer):
    token = serializers.CharField(max_length=2000, trim_whitespace=True)
    purpose = serializers.CharField(max_length=64, help_text="The purpose code, e.g. `venue.entry`.")


class ScanOutput(serializers.Serializer):
    purpose = serializers.CharField()
    basis = serializers.CharField(help_text="consent, statutory or emergency")
    code_type = serializers.CharField()
    expires_at = serializers.DateTimeField(help_text="When the scanned token expires.")
    # Declared fields leave the class (see HeldCodeOutput.label): Serializer.data is untouched at run time.
    data = serializers.DictField(  # type: ignore[assignment]
        help_text="Exactly the data categories the purpose allows for this citizen, category -> value."
    )
