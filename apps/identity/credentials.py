"""Secrets handed to people and machines (bearer tokens, API keys): generated once, stored hashed.

These secrets carry 256 bits of randomness, so a fast SHA-256 lookup is safe (no password hashing needed).
"""

import hashlib
import secrets

API_KEY_PREFIX = "cck"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_api_key() -> tuple[str, str]:
    """Return (prefix, full key). The prefix identifies the key in lists and logs; the rest is secret."""
    prefix = secrets.token_hex(4)
    return prefix, f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
