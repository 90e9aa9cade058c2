"""Sign-in limits, shared by the API, the log-in page and the admin log-in (finding 8).

Three counters of failed attempts, each over a fixed window (LOGIN_LIMIT_WINDOW seconds):

- per client address, whatever the account: one password sprayed over many accounts is stopped (citizens who
  signed in from that address before are exempt, so a sprayer behind the same NAT does not lock them out);
- per (account, address): one address guessing one account is stopped, without touching anyone else;
- per account, from any address: a distributed guess at one account backs off, but only for addresses that
  never signed in to that account. The owner's known address (one they signed in from before) keeps working,
  so a stranger cannot lock a citizen out by failing on purpose.

The account is the resolved citizen, so typing the user name or the phone counts as one. An unknown name is
counted under the name itself. The client address is DRF's `get_ident` (NUM_PROXIES deep into
X-Forwarded-For), so behind a proxy each client has its own counters, not the proxy's.

What remains: ten failures on one account from one address stop that pair for the window, the owner
included if they share the address with the guesser; a per-device cookie would separate them (later work).

Counters live in the default cache: with several processes it must be shared (CACHE_URL), or each process
counts alone. Why not django-axes: its lock-out is per account or per (account, address) but it has no
"known address of the owner" exemption, and it counts by the typed user name unless its handler is
replaced; adapting it would have meant as much code as this module.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

KNOWN_ADDRESS_SECONDS = 90 * 24 * 3600


class LoginLimited(Throttled):
    """Raised before the password is checked; the API renders it as 429 `throttled`, pages as a form error."""

    default_detail = _("Too many attempts. Wait a while and try again.")
    wait: int | None  # set by Throttled.__init__ (the stubs leave it out)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def client_address(request) -> str:
    return str(BaseThrottle().get_ident(request))


def account_key(*, user, login: str) -> str:
    return f"user:{user.pk}" if user is not None else f"name:{login.strip().lower()}"


def _keys(account: str, address: str) -> dict[str, str]:
    return {
        "address": f"login:addr:{_digest(address)}",
        "pair": f"login:pair:{_digest(account, address)}",
        "account": f"login:acct:{_digest(account)}",
        "known": f"login:known:{_digest(account, address)}",
    }


def _limits() -> dict[str, int]:
    return {
        "address": settings.LOGIN_LIMIT_PER_ADDRESS,
        "pair": settings.LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS,
        "account": settings.LOGIN_LIMIT_PER_ACCOUNT,
    }


def check(*, request, account: str) -> None:
    """Raise LoginLimited when this attempt must not even be tried."""
    keys, limits = _keys(account, client_address(request)), _limits()
    counts = cache.get_many([keys["address"], keys["pair"], keys["account"], keys["known"]])
    if counts.get(keys["pair"], 0) >= limits["pair"]:
        raise LoginLimited(wait=settings.LOGIN_LIMIT_WINDOW)
    if counts.get(keys["known"]):
        # The owner at an address they signed in from before: neither a sprayer sharing that address (an office
        # NAT) nor a guesser elsewhere stops them. Only this pair's own failures above do.
        return
    if counts.get(keys["address"], 0) >= limits["address"] or counts.get(keys["account"], 0) >= limits["account"]:
        raise LoginLimited(wait=settings.LOGIN_LIMIT_WINDOW)


def record_failure(*, request, account: str) -> None:
    keys = _keys(account, client_address(request))
    for name in ("address", "pair", "account"):
        # add() starts the window on the first failure; incr() never extends it.
        if not cache.add(keys[name], 1, timeout=settings.LOGIN_LIMIT_WINDOW):
            try:
                cache.incr(keys[name])
            except ValueError:  # expired between add and incr
                cache.add(keys[name], 1, timeout=settings.LOGIN_LIMIT_WINDOW)


def record_success(*, request, account: str) -> None:
    keys = _keys(account, client_address(request))
    cache.delete(keys["pair"])
    cache.set(keys["known"], 1, timeout=KNOWN_ADDRESS_SECONDS)
