from django import forms
from django.utils.translation import gettext_lazy as _


class CheckInForm(forms.Form):
    """The desk: the patient's code, pasted (a scanner types it) or photographed."""

    token = forms.CharField(
        label=_("Patient's code"), required=False, max_length=2000, strip=True,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "autocomplete": "off", "autofocus": True}),
    )
    image = forms.FileField(label=_("Or a photo of the code"), required=False)

    def clean(self):
        super().clean()
        if not self.cleaned_data.get("token") and not self.cleaned_data.get("image"):
            raise forms.ValidationError(_("Scan or paste the patient's code, or upload a photo of it."), code="no_code")
        return self.cleaned_data
