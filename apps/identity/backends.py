from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from . import login_limits
from .models import Citizen

# Longest login a citizen can have: a user name (150, Django's) or a phone. Longer input is nobody's, and a
# megabyte in a LIKE pattern made SQLite fail with a 500 (finding 13).
MAX_LOGIN_LENGTH = 150
MAX_PASSWORD_LENGTH = 128


class UsernameOrPhoneBackend(ModelBackend):
    """Sign in with the user name or the registered phone number, within the sign-in limits.

    Every sign-in path (API token, log-in page, admin log-in) comes through here, so the limits in
    `login_limits` apply to all of them alike.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        login = str(username).strip()
        if len(login) > MAX_LOGIN_LENGTH or len(str(password)) > MAX_PASSWORD_LENGTH:
            return None
        user = Citizen.objects.filter(Q(username__iexact=login) | Q(phone=login)).first()
        account = login_limits.account_key(user=user, login=login)
        if request is not None:
            login_limits.check(request=request, account=account)
        if user is None:
            Citizen().set_password(password)  # same work as a real check: no timing oracle
            ok = False
        else:
            ok = user.check_password(password) and self.user_can_authenticate(user)
        if request is not None:
            if ok:
                login_limits.record_success(request=request, account=account)
            else:
                login_limits.record_failure(request=request, account=account)
        return user if ok else None
