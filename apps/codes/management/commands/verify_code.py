from django.core.management.base import BaseCommand, CommandError

from apps.codes.selectors import verified_token_get
from apps.codes.tokens import VerificationFailed


class Command(BaseCommand):
    help = "Verify a code against this city's live trust list and status lists, and print the outcome."

    def add_arguments(self, parser):
        parser.add_argument("token", help="The token text (quote it: Base45 contains spaces).")
        parser.add_argument("--type", dest="expected_type", help="Refuse any other code type (wrong_type).")

    def handle(self, *args, token: str, expected_type: str | None = None, **options):
        try:
            verified = verified_token_get(token=token.strip("\n"), expected_type=expected_type)
        except VerificationFailed as exc:
            raise CommandError(f"INVALID: {exc.reason}" + (f" ({exc.detail})" if exc.detail else "")) from None
        self.stdout.write(
            f"VALID: type={verified.code_type} iss={verified.issuer} kid={verified.kid} sub={verified.sub} "
            f"index={verified.status_index} iat={verified.issued_at.isoformat()} "
            f"exp={verified.expires_at.isoformat()} claims={verified.claims}"
        )
