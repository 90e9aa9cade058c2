import json
import urllib.request
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.codes.services import trust_list_import
from citycode.errors import DomainError

MAX_DOCUMENT = 1_000_000


def _read(source: str) -> str:
    scheme = source.split(":", 1)[0].lower() if "://" in source else ""
    if scheme == "https":
        with urllib.request.urlopen(source, timeout=15) as response:  # noqa: S310 (operator-given https URL)
            return response.read(MAX_DOCUMENT).decode("utf-8")
    if scheme:
        # Plain http (or any other scheme) lets anyone on the path swap the list; the pin would still refuse a
        # forged one, but a stale or withheld list would pass unnoticed.
        raise CommandError(f"refusing {scheme}://: fetch a trust list over https, or give a local file")
    return Path(source).read_text(encoding="utf-8")


def _jwk(value: str) -> dict:
    text = Path(value).read_text(encoding="utf-8") if not value.lstrip().startswith("{") else value
    return json.loads(text)


class Command(BaseCommand):
    help = (
        "Import a peer city's signed trust list (its GET /api/v1/trust-list document, or a wrapper "
        '{"trust_list": ...}), from a local file or an https URL. The signature must verify against the key '
        "of that city that you pin: --pin-jwk (a JWK, inline JSON or a file) or --pin-thumbprint=<RFC 7638 "
        "thumbprint, base64url>. A pin inside the document is never used. Replaces the keys imported for that city."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="File path or https URL of the peer's trust list.")
        parser.add_argument("--pin-jwk", help="The peer's pinned public key as a JWK (JSON text or a file path).")
        parser.add_argument("--pin-thumbprint", help="RFC 7638 thumbprint (base64url) of the peer's pinned key.")

    def handle(self, *args, source: str, pin_jwk: str | None = None, pin_thumbprint: str | None = None, **options):
        try:
            document = json.loads(_read(source))
            jwk = _jwk(pin_jwk) if pin_jwk else None
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the trust list or pin: {exc}") from None
        if not isinstance(document, dict):
            raise CommandError("the trust list is not a JSON object")
        try:
            rows = trust_list_import(document=document, pin_jwk=jwk, pin_thumbprint=pin_thumbprint, source=source)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        issuers = sorted({row.issuer for row in rows})
        self.stdout.write(f"imported {len(rows)} key(s) of {', '.join(issuers) or 'no issuer'}: "
                          + ", ".join(row.kid for row in rows))
