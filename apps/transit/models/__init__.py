"""Transit's models: the network (lines, stops, readers) and the riders' accounts (accounts, certificates, the
deny list, account events). Fares and taps live in their own modules (models/fares.py, models/taps.py)."""

from .accounts import AccountEvent, DenyList, DenyListDelta, RideAccount, RiderCertificate
from .network import Line, Reader, Stop

__all__ = [
    "AccountEvent",
    "DenyList",
    "DenyListDelta",
    "Line",
    "Reader",
    "RideAccount",
    "RiderCertificate",
    "Stop",
]
