"""``Authorization: Reader <device_id>:<secret>``: how a bus validator or a metro gate authenticates.
request.user and request.auth are the :class:`~apps.transit.models.Reader`."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from . import selectors, services
from .errors import TransitErrorCode


class ReaderAuthentication(authentication.BaseAuthentication):
    keyword = "Reader"

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        device_id, sep, secret = (parts[1].decode(errors="replace") if len(parts) == 2 else "").partition(":")
        if len(parts) != 2 or not sep or not device_id or not secret:
            raise exceptions.AuthenticationFailed(
                _("Malformed reader credential: expected “Reader <device_id>:<secret>”."),
                code=TransitErrorCode.BAD_READER_CREDENTIAL,
            )
        reader = selectors.reader_get(device_id=device_id, secret=secret)
        if reader is None:
            raise exceptions.AuthenticationFailed(
                _("Unknown, inactive or wrong reader credential."), code=TransitErrorCode.BAD_READER_CREDENTIAL
            )
        services.reader_touch(reader=reader)
        return reader, reader

    def authenticate_header(self, request: Any) -> str:
        return self.keyword


class IsReader(permissions.BasePermission):
    """Permission: the request was authenticated as a reader (not a citizen, not an API client)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        from .models import Reader

        return isinstance(request.user, Reader)

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        return self.has_permission(request, view)


class ReaderScheme(OpenApiAuthenticationExtension):
    """Teaches drf-spectacular the reader credential (check --deploy fails on an unresolved authenticator)."""

    target_class = ReaderAuthentication
    name = "readerCredential"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Reader <device_id>:<secret>` for a bus validator or metro gate."}
