from rest_framework import serializers

from ..models import CaseListImport, RuleSetVersion


class CaseListUploadInput(serializers.Serializer):
    file = serializers.FileField(max_length=200, allow_empty_file=False)
    format = serializers.ChoiceField(choices=["csv", "json"], required=False)


class CaseListErrorOutput(serializers.Serializer):
    line = serializers.IntegerField()
    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class CaseListOutput(serializers.ModelSerializer):
    # DRF pops declared fields off the class, so this does not shadow Serializer.errors at run time
    errors = CaseListErrorOutput(many=True)  # type: ignore[assignment]
    duplicate = serializers.BooleanField(default=False)

    class Meta:
        model = CaseListImport
        fields = ["id", "state", "file_name", "file_format", "rows_read", "matched", "recoloured", "errors",
                  "created_at", "finished_at", "duplicate"]


class RuleSetSaveInput(serializers.Serializer):
    region = serializers.SlugField()
    version = serializers.CharField(max_length=32)
    title_zh = serializers.CharField(max_length=200)
    title_en = serializers.CharField(max_length=200)
    rules = serializers.JSONField()
    test_cases = serializers.JSONField()
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField(required=False, allow_null=True)


class RuleSetOutput(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True)

    class Meta:
        model = RuleSetVersion
        fields = ["id", "region", "version", "title_zh", "title_en", "rules", "test_cases", "state", "valid_from",
                  "valid_until", "published_at", "applied_at", "last_dry_run"]


class DryRunMoveOutput(serializers.Serializer):
    to = serializers.CharField()
    count = serializers.IntegerField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.CharField(allow_null=True)  # "from" is a Python keyword
        return fields


class DryRunOutput(serializers.Serializer):
    evaluated = serializers.IntegerField()
    would_change = serializers.IntegerField()
    fact_sets = serializers.IntegerField()
    moves = DryRunMoveOutput(many=True)
    tests = serializers.JSONField()
    at = serializers.CharField()


class DeclarationInput(serializers.Serializer):
    date = serializers.DateField()
    fever = serializers.BooleanField()
    symptoms = serializers.ListField(child=serializers.CharField(max_length=32), max_length=10, required=False)


class ColourOutput(serializers.Serializer):
    colour = serializers.CharField(allow_null=True)
    rule_id = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    next_change_at = serializers.DateTimeField(allow_null=True)
