from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _


class VerifyForm(forms.Form):
    """The verifier page: which organization acts, for which purpose, on which code (pasted or photographed)."""

    organization = forms.ChoiceField(label=_("Acting for"))
    purpose = forms.ChoiceField(label=_("Purpose"))
    token = forms.CharField(
        label=_("Code"), required=False, max_length=2000, strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocomplete": "off"}),
    )
    image = forms.FileField(label=_("Or a photo of the code"), required=False)

    def __init__(self, *args, organizations=(), purposes=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["organization"]).choices = list(organizations)
        cast(forms.ChoiceField, self.fields["purpose"]).choices = list(purposes)

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if not cleaned.get("token") and not cleaned.get("image"):
            raise forms.ValidationError(_("Paste a code or upload a photo of one."), code="no_code")
        return cleaned
