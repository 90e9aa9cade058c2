from rest_framework import serializers


class ElementOutput(serializers.Serializer):
    key = serializers.CharField()
    # Declared fields leave the class (the metaclass takes them): Field.label is untouched at run time.
    label = serializers.CharField()  # type: ignore[assignment]
    value = serializers.JSONField(required=False)


class LicenceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField(help_text="The licence type code, e.g. `JSZC1`.")
    label = serializers.CharField()  # type: ignore[assignment]
    office = serializers.CharField()
    identifier = serializers.CharField(help_text="type code - issuing authority - serial (GB/T 36904's parts).")
    status = serializers.ChoiceField(choices=["active", "suspended", "revoked"])
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    elements = ElementOutput(many=True)


class LicencesOutput(serializers.Serializer):
    licences = LicenceOutput(many=True)


class RequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    nonce = serializers.CharField(help_text="Give it to the citizen (QR or text): their answer is bound to it.")
    licence_type = serializers.CharField()
    purpose = serializers.CharField()
    verifier = serializers.CharField()
    elements = ElementOutput(many=True, help_text="What the purpose may see; the citizen may show less.")
    expires_at = serializers.DateTimeField()
    answered = serializers.BooleanField()


class RequestCreateInput(serializers.Serializer):
    licence_type = serializers.CharField(max_length=16)
    purpose = serializers.CharField(max_length=64)


class PresentInput(serializers.Serializer):
    nonce = serializers.CharField(max_length=64, help_text="The verifier's request.")
    elements = serializers.ListField(child=serializers.CharField(max_length=64), max_length=64,
                                     help_text="The fields you agree to show.")


class PresentOutput(serializers.Serializer):
    presentation = serializers.CharField(help_text="`LC1:`/`LZ1:` + Base45: draw it as a QR (alphanumeric mode).")
    elements = serializers.ListField(child=serializers.CharField(), help_text="What it reveals, nothing more.")
    purpose = serializers.CharField()
    verifier = serializers.CharField()
    access_log_id = serializers.IntegerField()


class VerifyInput(serializers.Serializer):
    presentation = serializers.CharField(max_length=8000, trim_whitespace=False)


class VerifyOutput(serializers.Serializer):
    valid = serializers.BooleanField(help_text="Issuer signature, digests, holder binding, validity and status hold.")
    licence_type = serializers.CharField()
    elements = ElementOutput(many=True)
    copy_valid_until = serializers.DateTimeField(help_text="The end of this wallet copy's validity.")
    issuer = serializers.CharField()
    kid = serializers.CharField()


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class IssueInput(serializers.Serializer):
    licence_type = serializers.CharField(max_length=16)
    id_number = serializers.CharField(max_length=18, help_text="The holder's resident ID number (matched by hash, "
                                                               "never stored).")
    values = serializers.DictField(child=serializers.JSONField(), help_text="A value for each field of the type.")
    valid_from = serializers.DateField(required=False)


class FieldInput(serializers.Serializer):
    key = serializers.CharField(max_length=32)
    kind = serializers.ChoiceField(choices=["string", "date", "integer", "boolean"])
    label_zh = serializers.CharField(max_length=100)
    label_en = serializers.CharField(max_length=100)


class TypeDefineInput(serializers.Serializer):
    office = serializers.SlugField(max_length=64)
    type_code = serializers.RegexField(r"^[A-Z0-9]{2,16}$", max_length=16)
    authority_code = serializers.CharField(max_length=18)
    label_zh = serializers.CharField(max_length=100)
    label_en = serializers.CharField(max_length=100)
    category = serializers.ChoiceField(choices=["licence.driving", "licence.general"])
    # Declared fields leave the class (the metaclass takes them): Serializer.fields is untouched at run time.
    fields = FieldInput(many=True)  # type: ignore[assignment]
    purpose_fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField(max_length=64),
                                                                       max_length=64))
    validity_days = serializers.IntegerField(min_value=1, max_value=36500)
    renewal_window_days = serializers.IntegerField(min_value=0, max_value=36500, default=90)


class TypeOutput(serializers.Serializer):
    type_code = serializers.CharField()
    doc_type = serializers.CharField()
    label_zh = serializers.CharField()
    label_en = serializers.CharField()
    office = serializers.CharField()
    authority_code = serializers.CharField()
    category = serializers.CharField()
    fields = serializers.ListField(child=serializers.DictField())  # type: ignore[assignment]
    purpose_fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    validity_days = serializers.IntegerField()


class TypesOutput(serializers.Serializer):
    types = TypeOutput(many=True)
