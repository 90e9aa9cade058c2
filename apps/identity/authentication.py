from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from apps.identity.errors import IdentityErrorCode

from . import selectors


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` for citizens."""

    keyword = "Bearer"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed bearer token header."), code=IdentityErrorCode.BAD_TOKEN)
        token = selectors.auth_token_get(plain=parts[1].decode(errors="replace"))
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or expired token."), code=IdentityErrorCode.BAD_TOKEN)
        from . import services  # here, not at import: services -> citycode.errors -> rest_framework.views -> us

        services.auth_token_touch(token=token)  # "last used" on the citizen's list of sign-ins
        return token.user, token  # request.auth is the sign-in, so log-out can end exactly this one

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Api-Key <key>` for organizations' machines. request.user and request.auth are the client."""

    keyword = "Api-Key"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed API key header."), code=IdentityErrorCode.BAD_API_KEY)
        client = selectors.api_client_get(plain=parts[1].decode(errors="replace"))
        if client is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."), code=IdentityErrorCode.BAD_API_KEY)
        return client, client

    def authenticate_header(self, request):
        return self.keyword
