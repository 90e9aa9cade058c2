"""Teach drf-spectacular the readers' credential (``Authorization: Reader <device_id>:<secret>``)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ReaderScheme(OpenApiAuthenticationExtension):
    target_class = "apps.transit.authentication.ReaderAuthentication"
    name = "reader"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Reader <device_id>:<secret>` for a transit operator's bus reader or metro gate."}
