from django import forms
from django.utils.translation import gettext_lazy as _


class UnechoedTextInput(forms.TextInput):
    """A text box that never writes the submitted value back into the page.

    A refused registration re-renders the form; the resident ID number must not travel back in the response.
    """

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


class RegistrationForm(forms.Form):
    name = forms.CharField(label=_("Real name"), max_length=100)
    id_number = forms.CharField(
        label=_("Resident ID number"), max_length=18, min_length=18,
        widget=UnechoedTextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    phone = forms.CharField(label=_("Mobile phone"), max_length=20)
    username = forms.RegexField(
        label=_("User name"), regex=r"^[A-Za-z0-9_.-]{3,40}$", max_length=40,
        help_text=_("3–40 letters, digits, dots, dashes or underscores."),
    )
    # Checked against the user's name, user name and phone by the service.
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, min_length=8, max_length=128)
