"""Real-name verification behind one interface.

Production plugs in the public-security check through CITYCODE_REALNAME_VERIFIER (a dotted path);
the default checks the number's checksum (already done by `idnumbers.parse`) and the local registry,
so the demo runs offline.
"""

from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from . import idnumbers
from .models import ResidentRecord


@dataclass(frozen=True)
class Verdict:
    ok: bool
    method: str
    reason: str = ""


class RealNameVerifier(Protocol):
    def verify(self, *, name: str, resident_id: idnumbers.ResidentId) -> Verdict: ...


class LocalRegistryVerifier:
    """Checks the name against the local registry when the number is known there.

    An unknown number passes on its checksum alone unless CITYCODE_REALNAME_REGISTRY_STRICT is set.
    """

    def verify(self, *, name: str, resident_id: idnumbers.ResidentId) -> Verdict:
        record = ResidentRecord.objects.filter(id_hash=idnumbers.keyed_hash(resident_id.number)).first()
        if record is None:
            if settings.CITYCODE_REALNAME_REGISTRY_STRICT:
                return Verdict(ok=False, method="registry", reason="not_in_registry")
            return Verdict(ok=True, method="checksum")
        if record.name.strip() != name.strip():
            return Verdict(ok=False, method="registry", reason="name_mismatch")
        return Verdict(ok=True, method="registry")


@cache
def _verifier_class(path: str) -> type:
    return import_string(path)


def get_verifier() -> RealNameVerifier:
    return _verifier_class(settings.CITYCODE_REALNAME_VERIFIER)()
