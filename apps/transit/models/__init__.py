"""Transit's models: the network (lines, stops, readers) and the riders' accounts (accounts, certificates, the
deny list, account events). Fares and taps live in their own modules (models/fares.py, models/taps.py)."""

from .accounts import AccountEvent, DenyList, DenyListDelta, RideAccount, RiderCertificate
from .fares import FareCap, FareLegRule, FareNetwork, FareProduct, FareTransferRule, RiderCategory, Timeframe
from .network import Line, Reader, Stop
from .taps import LedgerEntry, PendingTap, SettlementRun, Tap, TapUpload, Trip

__all__ = [
    "FareCap",
    "FareLegRule",
    "FareNetwork",
    "FareProduct",
    "FareTransferRule",
    "LedgerEntry",
    "PendingTap",
    "RiderCategory",
    "SettlementRun",
    "Tap",
    "TapUpload",
    "Timeframe",
    "Trip",
    "AccountEvent",
    "DenyList",
    "DenyListDelta",
    "Line",
    "Reader",
    "RideAccount",
    "RiderCertificate",
    "Stop",
]
