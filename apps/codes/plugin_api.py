"""The plugin API: the only module of citycode's core that a code-type plugin may import.

A city department adds a code type (the talent office's 人才码, say) as a Django app of its own:

    # apps/talent/apps.py
    from apps.codes.plugin_api import CodeTypeAppConfig

    class TalentConfig(CodeTypeAppConfig):
        name = "apps.talent"
        code_types = ["apps.talent.code_type.TalentCodeType"]

and names that app in the allowlist setting ``CITYCODE_CODE_TYPES`` (settings appends it to INSTALLED_APPS).
Its ``ready()`` registers the code types into :data:`registry`. The registry refuses a duplicate key, a
second provider of the same data category, anything that is not a :class:`CodeType`, an app outside the
allowlist, and any registration once start-up has ended (``django.apps.apps.ready``): the set of code types
is fixed for the life of the process, like NetBox's plugin registry.

Core never branches on a code type: it lists, issues, scans and collects data only through the registry.

What a code type declares and implements:

- ``key``, ``label_zh``, ``label_en``, ``lifetime`` of one token (the citizen's device rotates it).
- ``categories`` and ``purposes`` it introduces; they are synced into the consent catalogue after
  ``migrate``. Declaring a purpose authorizes nobody: grants and consents stay with the consent app.
- ``claims_for(citizen)``: the compact claims for the citizen's token, or ``None`` when the citizen does not
  hold this code. Claims never carry a name, an ID number or a phone number. Only the keys named in
  ``offline_claims`` are written into the token (default: none).
- ``provides`` and ``provide(citizen=, categories=)``: the data categories whose values this code type can
  supply to a verifier, once the consent gate has allowed them.
- ``present(verified=, citizen=, categories=)``: the values a verifier sees for a scanned token of this
  type; by default every allowed category is collected from whichever code type provides it.
- ``export(citizen)`` and ``export_covers``: everything the code type's app holds about the citizen, for
  their data export (PIPL Art 45), and which citizen references (``"app.Model.field"``) that covers. A test
  walks every model that references a citizen and fails for one that no export section covers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django.apps import AppConfig
from django.apps import apps as django_apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from citycode.localized import localized, prefers_english

__all__ = [
    "CategorySpec",
    "CodeType",
    "CodeTypeAppConfig",
    "CodeTypeRegistry",
    "ImproperlyConfigured",
    "PurposeSpec",
    "UnknownCodeType",
    "registry",
]

# Core's own code types (the city code) register from these apps without being on the allowlist.
CORE_APPS = frozenset({"apps.codes"})
# A token that lives longer than this is no longer a rotating code; such a type is refused at start-up.
MAX_LIFETIME = dt.timedelta(hours=24)
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")
_LEGAL_BASES = ("consent", "statutory", "emergency")


class UnknownCodeType(LookupError):
    """No registered code type has this key."""


@dataclass(frozen=True)
class CategorySpec:
    """A data category a code type introduces, e.g. ``talent.certification``.

    ``fields`` labels the keys of a structured value (a dict), as ``(key, label_zh, label_en)``, so a
    verifier reads "Level: B", not "level: B".
    """

    code: str
    label_zh: str
    label_en: str
    sensitive: bool = False
    fields: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class PurposeSpec:
    """A purpose a code type introduces; ``categories`` is the most it may ever be given (an upper bound)."""

    code: str
    label_zh: str
    label_en: str
    categories: tuple[str, ...]
    retention_days: int
    legal_basis: str = "consent"
    description_zh: str = ""
    description_en: str = ""


class CodeType:
    """Base class of every code type. Subclass it, set the class attributes and implement ``claims_for``."""

    key: ClassVar[str] = ""
    label_zh: ClassVar[str] = ""
    label_en: ClassVar[str] = ""
    lifetime: ClassVar[dt.timedelta] = dt.timedelta(minutes=5)
    categories: ClassVar[tuple[CategorySpec, ...]] = ()
    purposes: ClassVar[tuple[PurposeSpec, ...]] = ()
    provides: ClassVar[frozenset[str]] = frozenset()
    #: The citizen references (``"app.Model.field"``, e.g. ``"talent.TalentCertification.citizen"``) whose
    #: rows ``export()`` returns; the export completeness test checks every model against these.
    export_covers: ClassVar[tuple[str, ...]] = ()
    # The keys of claims_for()'s result that go into the token, readable offline by anyone who scans it. Every
    # other claim stays out of the token (a verifier gets it through the consent gate). Keep it empty unless a
    # reader must decide offline; a value that is the same on every token of a citizen links them.
    offline_claims: ClassVar[frozenset[str]] = frozenset()
    # True for long-lived documents: each token then carries a fresh status-list index (one row per issue).
    # Rotating codes need none: they are revoked by no longer being issued, within their lifetime.
    status_list: ClassVar[bool] = False

    # -- what a plugin implements -------------------------------------------------------------------------

    def claims_for(self, citizen: Any) -> dict[str, Any] | None:
        """Compact, non-identifying claims for the citizen's token; ``None`` if the citizen does not hold it."""
        raise NotImplementedError(f"{type(self).__name__}.claims_for")

    def provide(self, *, citizen: Any, categories: Sequence[str]) -> dict[str, Any]:
        """Values of the requested categories (a subset of ``provides``) for a verifier. Nothing else."""
        return {}

    def export(self, citizen: Any) -> Any:
        """Everything this code type's app holds about the citizen, JSON-ready, history included, for the
        citizen's own export; ``None`` when it keeps nothing of its own. Never a secret."""
        return None

    def present(self, *, verified: Any, citizen: Any, categories: Sequence[str]) -> dict[str, Any]:
        """What a verifier sees for a scanned token of this type, limited to ``categories`` (already allowed
        by the consent gate). The default collects each category from the code type that provides it."""
        return registry.collect(citizen=citizen, categories=categories)

    # -- shared behaviour ---------------------------------------------------------------------------------

    @property
    def labels(self) -> dict[str, str]:
        return {"zh-hans": self.label_zh, "en": self.label_en}

    def label(self, language: str | None = None) -> str:
        return localized(self, "label", language)

    def refresh_after(self, *, issued_at: dt.datetime, expires_at: dt.datetime) -> dt.datetime:
        """When the device should fetch the next token: at 80% of its life, so a scan never meets an
        expired code even with a slow network or a slightly late clock."""
        return issued_at + (expires_at - issued_at) * 0.8

    def check_declaration(self) -> None:
        """Refuse a code type whose declaration is incomplete or inconsistent (called at registration)."""
        name = type(self).__name__
        if not self.key or not set(self.key) <= _KEY_CHARS:
            raise ImproperlyConfigured(f"{name}.key must be a lower-case slug, not {self.key!r}.")
        if not self.label_zh or not self.label_en:
            raise ImproperlyConfigured(f"Code type {self.key!r} needs labels in both zh-Hans and en.")
        if not isinstance(self.lifetime, dt.timedelta) or not dt.timedelta(0) < self.lifetime <= MAX_LIFETIME:
            raise ImproperlyConfigured(f"Code type {self.key!r}: lifetime must be a timedelta in (0, 24h].")
        if type(self).claims_for is CodeType.claims_for:
            raise ImproperlyConfigured(f"Code type {self.key!r} must implement claims_for().")
        if not isinstance(self.offline_claims, frozenset) or not isinstance(self.status_list, bool):
            raise ImproperlyConfigured(
                f"Code type {self.key!r}: offline_claims must be a frozenset and status_list a bool.")
        if self.provides and type(self).provide is CodeType.provide:
            raise ImproperlyConfigured(f"Code type {self.key!r} declares `provides` but no provide().")
        if self.export_covers and type(self).export is CodeType.export:
            raise ImproperlyConfigured(f"Code type {self.key!r} declares `export_covers` but no export().")
        for category in self.categories:
            if not isinstance(category, CategorySpec) or not (category.label_zh and category.label_en):
                raise ImproperlyConfigured(f"Code type {self.key!r}: categories must be CategorySpec with labels.")
            if not all(len(f) == 3 and all(isinstance(x, str) and x for x in f) for f in category.fields):
                raise ImproperlyConfigured(
                    f"Code type {self.key!r}: fields of {category.code!r} must be (key, label_zh, label_en)."
                )
        for purpose in self.purposes:
            if not isinstance(purpose, PurposeSpec) or not (purpose.label_zh and purpose.label_en):
                raise ImproperlyConfigured(f"Code type {self.key!r}: purposes must be PurposeSpec with labels.")
            if purpose.legal_basis not in _LEGAL_BASES or purpose.retention_days <= 0 or not purpose.categories:
                raise ImproperlyConfigured(f"Code type {self.key!r}: purpose {purpose.code!r} is incomplete.")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key!r}>"


class CodeTypeRegistry:
    """The code types of this process, keyed by ``key``; filled during start-up, then read-only.

    ``follow_startup=True`` (the process registry) locks itself as soon as Django's app registry is
    ready, i.e. after every ``AppConfig.ready()`` has run. ``lock()`` locks explicitly.
    """

    def __init__(self, *, follow_startup: bool = False, allowed_apps: Iterable[str] | None = None) -> None:
        self._types: dict[str, CodeType] = {}
        self._owners: dict[str, str] = {}
        self._providers: dict[str, CodeType] = {}
        self._field_labels: dict[str, dict[str, tuple[str, str]]] = {}
        self._locked = False
        self._follow_startup = follow_startup
        self._allowed_apps = None if allowed_apps is None else frozenset(allowed_apps)

    # -- start-up -----------------------------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        return self._locked or (self._follow_startup and django_apps.ready)

    def lock(self) -> None:
        self._locked = True

    def allowed_apps(self) -> frozenset[str]:
        if self._allowed_apps is not None:
            return self._allowed_apps | CORE_APPS
        return frozenset(getattr(settings, "CITYCODE_CODE_TYPES", ())) | CORE_APPS

    def register(self, code_type: type[CodeType] | CodeType, *, app_name: str) -> CodeType:
        if self.locked:
            raise ImproperlyConfigured(
                f"The code-type registry is locked: {code_type!r} must register from its app's "
                "AppConfig.ready() during start-up."
            )
        if app_name not in self.allowed_apps():
            raise ImproperlyConfigured(
                f"App {app_name!r} is not in CITYCODE_CODE_TYPES, so it may not register code types."
            )
        instance = code_type() if isinstance(code_type, type) and issubclass(code_type, CodeType) else code_type
        if not isinstance(instance, CodeType):
            raise ImproperlyConfigured(f"{code_type!r} from {app_name!r} is not a CodeType.")
        instance.check_declaration()
        if instance.key in self._types:
            raise ImproperlyConfigured(
                f"Code type {instance.key!r} is already registered by {self._owners[instance.key]!r}; "
                f"{app_name!r} cannot register it again."
            )
        for category in instance.provides:
            if category in self._providers:
                raise ImproperlyConfigured(
                    f"Data category {category!r} is already provided by code type "
                    f"{self._providers[category].key!r}; {instance.key!r} cannot provide it too."
                )
        self._types[instance.key] = instance
        self._owners[instance.key] = app_name
        for category in instance.provides:
            self._providers[category] = instance
        for spec in instance.categories:
            if spec.fields:
                self._field_labels[spec.code] = {key: (zh, en) for key, zh, en in spec.fields}
        return instance

    # -- reads --------------------------------------------------------------------------------------------

    def all(self) -> list[CodeType]:
        """Every registered code type, in registration order (core's city code first)."""
        return list(self._types.values())

    def keys(self) -> list[str]:
        return list(self._types)

    def get(self, key: str) -> CodeType:
        try:
            return self._types[key]
        except KeyError:
            raise UnknownCodeType(key) from None

    def owner(self, key: str) -> str:
        return self._owners[self.get(key).key]

    def provider_for(self, category: str) -> CodeType | None:
        return self._providers.get(category)

    def field_label(self, category: str, key: str, language: str | None = None) -> str:
        """The label a code type declared for one key of a category's structured value (the key if none)."""
        labels = self._field_labels.get(category, {}).get(key)
        if labels is None:
            return key
        return labels[1] if prefers_english(language) else labels[0]

    def provided_categories(self) -> frozenset[str]:
        return frozenset(self._providers)

    def collect(self, *, citizen: Any, categories: Sequence[str]) -> dict[str, Any]:
        """The value of each requested category from its provider; ``None`` where no code type provides it.

        Whatever a provider returns beyond what was asked of it is dropped here, so a faulty plugin cannot
        widen a disclosure.
        """
        wanted = list(dict.fromkeys(categories))
        by_provider: dict[str, list[str]] = {}
        for category in wanted:
            provider = self._providers.get(category)
            if provider is not None:
                by_provider.setdefault(provider.key, []).append(category)
        values: dict[str, Any] = {}
        for key, asked in by_provider.items():
            supplied: Mapping[str, Any] = self._types[key].provide(citizen=citizen, categories=tuple(asked))
            for category in asked:
                values[category] = supplied.get(category)
        return {category: values.get(category) for category in wanted}

    def __contains__(self, key: object) -> bool:
        return key in self._types

    def __len__(self) -> int:
        return len(self._types)


#: The process's registry. Code types register into it from ``CodeTypeAppConfig.ready()``.
registry = CodeTypeRegistry(follow_startup=True)


class CodeTypeAppConfig(AppConfig):
    """AppConfig of a code-type app: ``ready()`` registers ``code_types`` (classes or dotted paths).

    A subclass that overrides ``ready()`` must call ``super().ready()``.
    """

    code_types: ClassVar[Sequence[str | type[CodeType]]] = ()
    # Django picks an apps.py's AppConfig automatically only if exactly one candidate is there; this base
    # class, imported into the plugin's apps.py, must not count as one, but each subclass must.
    default = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "default" not in cls.__dict__:
            cls.default = True

    def ready(self) -> None:
        for entry in self.code_types:
            code_type = import_string(entry) if isinstance(entry, str) else entry
            registry.register(code_type, app_name=self.name)


# -- needed by apps.health ----------------------------------------------------------------------------------------
# The health commission matches its case lists by the keyed ID-number hash core stores (Citizen.id_hash), raises
# domain errors with its own codes, and acts only through staff of the commission.

from citycode.error_codes import ErrorCodeEnum  # noqa: E402

# citycode.errors imports DRF's views, which load identity's models: it cannot be imported while apps load (this
# module is imported by every plugin's apps.py), so its exception classes (Conflict, DomainError, Forbidden,
# NotFound) are resolved on first use, and are not in __all__ (a star import would resolve them too early).
# The same holds for the DRF permission class of signed-in people (IsCitizen) and the one-view-per-operation router.
_LAZY = {
    "Conflict": "citycode.errors", "DomainError": "citycode.errors", "Forbidden": "citycode.errors",
    "NotFound": "citycode.errors", "IsCitizen": "apps.identity.permissions", "operations": "citycode.routing",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ += [
    "ErrorCodeEnum",
    "IdNumberInvalid",
    "id_number_hash",
    "organization_by_slug",
    "staff_acts_for",
]


class IdNumberInvalid(ValueError):
    """A resident ID number that fails validation; ``code`` is identity's precise reason (``id_checksum``...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def id_number_hash(number: str) -> str:
    """Validate a resident ID number (GB 11643) and return its keyed hash, the value of ``Citizen.id_hash``.
    Raises :class:`IdNumberInvalid`. The plain number is neither stored nor logged."""
    from django.core.exceptions import ValidationError

    from apps.identity import idnumbers

    try:
        parsed = idnumbers.parse(number)
    except ValidationError as exc:
        raise IdNumberInvalid(str(exc.code or "id_format"), str(exc.messages[0])) from None
    return idnumbers.keyed_hash(parsed.number)


def organization_by_slug(slug: str) -> Any | None:
    """The active organization with this slug, or ``None``."""
    from apps.identity import selectors as identity_selectors

    organization = identity_selectors.organization_get(slug=slug)
    return organization if organization is not None and organization.is_active else None


def staff_acts_for(*, user: Any, organization: Any) -> bool:
    """Whether this signed-in person may act for the organization (staff or admin of it, organization active)."""
    from apps.identity import permissions

    return permissions.user_can(user=user, perm=permissions.ACT, organization=organization)


# -- needed by apps.health (health_code: review, appeals, the epidemic-control purpose key) ----------------------
# Thin, typed wrappers. Each imports core on first call: this module is imported while apps load, before any model
# is ready. (Errors, organization_by_slug, staff_acts_for and id_number_hash come from the section above.)

__all__ += [
    "api_client_permission",
    "emergency_active_get",
    "emergency_declare",
    "emergency_last_end_get",
    "membership_set",
    "purpose_grant_active_check",
    "purpose_grant_list",
    "secret_key_derive",
]


def membership_set(*, user: Any, organization: Any, role: str) -> Any:
    """Give a person a staff role (``admin``/``staff``/``viewer``) in an organization, with its permissions."""
    from apps.identity import services

    return services.membership_set(user=user, organization=organization, role=role)


def api_client_permission() -> type:
    """DRF permission class: a machine authenticated with ``Authorization: Api-Key <key>`` (``request.auth`` is
    then its ``identity.ApiClient``, ``request.auth.organization`` the organization it acts for)."""
    from apps.identity.permissions import IsApiClient

    return IsApiClient


def purpose_grant_active_check(*, organization: Any, purpose: str) -> bool:
    """Whether the organization holds an active grant (not revoked, expired or not yet valid) for the purpose
    now. False for an unknown purpose or an inactive organization."""
    from apps.consent import selectors

    the_purpose = selectors.purpose_get(code=purpose)
    if the_purpose is None or organization is None or not organization.is_active:
        return False
    return selectors.active_grant_get(organization=organization, purpose=the_purpose) is not None


def purpose_grant_list(*, purpose: str) -> list[Any]:
    """The organizations holding an active grant for the purpose now (``identity.Organization``), by slug."""
    from apps.consent import selectors

    the_purpose = selectors.purpose_get(code=purpose)
    return [] if the_purpose is None else selectors.granted_organization_list(purpose=the_purpose)


def emergency_active_get(*, purpose: str, now: dt.datetime | None = None) -> Any:
    """The declared emergency covering the purpose at ``now`` (``consent.Emergency``; the latest if several
    overlap), or None. The consent gate shows epidemic-only categories (the health colour) only while one does."""
    from django.utils import timezone

    from apps.consent import gate_queries, selectors

    the_purpose = selectors.purpose_get(code=purpose)
    if the_purpose is None:
        return None
    emergency_id = gate_queries.active_emergency_id(purpose_id=the_purpose.pk, now=now or timezone.now())
    return None if emergency_id is None else selectors.emergency_get(emergency_id=emergency_id)


def emergency_last_end_get(*, purpose: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the last emergency covering the purpose ended (before ``now``), or None if none has ended."""
    from django.utils import timezone

    from apps.consent import selectors

    moment = now or timezone.now()
    ended = selectors.emergency_list().filter(purposes__code=purpose, ends_at__lte=moment).order_by("-ends_at")
    last = ended.values_list("ends_at", flat=True).first()
    return last


def emergency_declare(*, name: str, legal_reference: str, purposes: list[str], starts_at: dt.datetime,
                      ends_at: dt.datetime, declared_by: Any) -> Any:
    """Declare an emergency covering the purposes (consent's service: a data-bureau decision; demo seeding)."""
    from apps.consent import services

    return services.emergency_declare(name=name, legal_reference=legal_reference, purposes=list(purposes),
                                      starts_at=starts_at, ends_at=ends_at, declared_by=declared_by)


def secret_key_derive(*, info: str) -> bytes:
    """A 32-byte key for encrypting a plugin's secrets at rest, derived (HKDF-SHA256) from the platform's key
    encryption key with ``info`` naming its use (``"health/purpose-keys/v1"``), in a namespace of its own (never
    one of core's keys); never stored."""
    from apps.codes import keys

    return keys.plugin_key_derive(info.encode("utf-8"))
