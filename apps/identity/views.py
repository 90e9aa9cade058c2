from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from citycode.errors import DomainError

from . import selectors, services
from .forms import RegistrationForm
from .login_limits import LoginLimited
from .throttles import RegisterThrottle


class LoginView(auth_views.LoginView):
    template_name = "identity/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        try:
            valid = form.is_valid()  # authenticates, within the sign-in limits
        except LoginLimited:
            form.add_error(None, _("Too many attempts. Wait a while and try again."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return self.form_valid(form) if valid else self.form_invalid(form)


@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    # RegisterThrottle never reads the view, and a page has no DRF view to give it.
    if request.method == "POST" and not RegisterThrottle().allow_request(request, None):  # type: ignore[arg-type]
        # The same limit as the API's registration endpoint, per client address.
        form.add_error(None, _("Too many attempts. Wait a minute and try again."))
        return render(request, "identity/register.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            services.citizen_register_blind(**form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            # Created or refused, the page answers alike and signs nobody in: either would tell a caller
            # whether the number or phone is registered (finding 2). Signing in is how the owner finds out.
            messages.info(request, services.registration_answer())
            return redirect("login")
    return render(request, "identity/register.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def home(request):
    return render(
        request,
        "identity/home.html",
        {"memberships": selectors.membership_list(user=request.user)},
    )
