"""The simulated provider's side, by hand: the patient pays an order at the provider, and the command prints the
signed notification the provider would send (body and signature), to deliver with curl — once, twice, late."""

import json

from django.core.management.base import BaseCommand, CommandError

from apps.medical.billing.provider import ProviderError, simulated


class Command(BaseCommand):
    help = "Pay an order at the simulated provider; print its signed notification (not delivered)."

    def add_arguments(self, parser):
        parser.add_argument("out_trade_no")

    def handle(self, *args, out_trade_no: str, **options):
        try:
            (body, signature), _repeat = simulated().confirm(out_trade_no=out_trade_no, deliver=False)
        except ProviderError as exc:
            raise CommandError(exc.reason) from None
        self.stdout.write(json.dumps({"body": body.decode(), "signature": signature}))
