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
    qr_svg_url = serializers.CharField(help_text="A fresh token of this type as an SVG QR code (GET).")
    qr_png_url = serializers.CharField(help_text="A fresh token of this type as a PNG QR code (GET).")
    qr_url = serializers.CharField(help_text="POST `{\"token\", \"format\"}` here to draw this very token.")


class HeldCodesOutput(serializers.Serializer):
    codes = HeldCodeOutput(many=True)


class QrInput(serializers.Serializer):
    token = serializers.CharField(max_length=2000, trim_whitespace=False,
                                  help_text="A token of this type issued to you.")
    format = serializers.ChoiceField(choices=["svg", "png"], default="svg")


class ScanInput(serializers.Serializer):
    # Not trimmed: a token has one canonical form, and whitespace around it is a re-encoding (non_canonical).
    token = serializers.CharField(max_length=2000, trim_whitespace=False)
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
    action = serializers.JSONField(
        allow_null=True, required=False,
        help_text="What the purpose's scan action did (e.g. a hospital check-in: the queue number); null if none.",
    )
