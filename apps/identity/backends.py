from django.contrib.auth.backends import ModelBackend
from django.db.models import Q

from .models import Citizen


class UsernameOrPhoneBackend(ModelBackend):
    """Sign in with the user name or the registered phone number."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        login = username.strip()
        user = Citizen.objects.filter(Q(username__iexact=login) | Q(phone=login)).first()
        if user is None:
            Citizen().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
