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
allowlist, and any registration once start-up has ended (``django.apps.apps.ready``): the set of registered
code types is fixed for the life of the process, like NetBox's plugin registry. Beside them, core serves the
code types that city departments define through the API with no code (``apps/codes/defined.py``): the registry
reads those from the database, and they can neither replace a registered type nor provide its categories.

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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

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
    "TransparencyFigure",
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


@dataclass(frozen=True)
class TransparencyFigure:
    """One count a code type adds to the city's monthly transparency report (e.g. manual health-colour changes).

    Aggregated only: the report suppresses small counts itself, so a figure names no person."""

    label_zh: str
    label_en: str
    count: int
    organization: str = ""  # the organization's slug, when the count is per organization


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

    def transparency(self, *, start: dt.datetime, end: dt.datetime) -> Sequence[TransparencyFigure]:
        """Counts for the public monthly transparency report over ``[start, end)``; none by default."""
        return ()

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
        self._dynamic: Callable[[], Mapping[str, CodeType]] | None = None
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

    def set_dynamic(self, source: Callable[[], Mapping[str, CodeType]] | None) -> None:
        """Code types defined at run time (core's department-defined types, read from the database), served after
        the registered ones. Core sets it; a plugin never does. Their keys and categories never shadow a
        registered type's: the registered one wins, and defining such a type is refused."""
        self._dynamic = source

    def _dynamic_types(self) -> Mapping[str, CodeType]:
        return self._dynamic() if self._dynamic is not None else {}

    # -- reads --------------------------------------------------------------------------------------------

    def all(self) -> list[CodeType]:
        """Every code type: the registered ones in registration order (core's city code first), then the
        department-defined ones."""
        return [*self._types.values(), *(t for k, t in self._dynamic_types().items() if k not in self._types)]

    def registered_keys(self) -> list[str]:
        """The keys of the registered (built-in and plugged-in) types in registration order, without the
        department-defined ones (no database read)."""
        return list(self._types)

    def keys(self) -> list[str]:
        return [t.key for t in self.all()]

    def get(self, key: str) -> CodeType:
        found = self._types.get(key)
        if found is None:
            found = self._dynamic_types().get(key)
        if found is None:
            raise UnknownCodeType(key)
        return found

    def owner(self, key: str) -> str:
        if key not in self._types:
            self.get(key)  # UnknownCodeType unless it is a defined type
            return "apps.codes"  # department-defined types are core's
        return self._owners[key]

    def provider_for(self, category: str) -> CodeType | None:
        found = self._providers.get(category)
        if found is None:
            found = next((t for t in self._dynamic_types().values() if category in t.provides), None)
        return found

    def field_label(self, category: str, key: str, language: str | None = None) -> str:
        """The label a code type declared for one key of a category's structured value (the key if none)."""
        labels = self._field_labels.get(category, {}).get(key)
        if labels is None:
            provider = None if category in self._providers else self.provider_for(category)
            spec = next((c for c in provider.categories if c.code == category), None) if provider else None
            labels = next(((zh, en) for name, zh, en in spec.fields if name == key), None) if spec else None
        if labels is None:
            return key
        return labels[1] if prefers_english(language) else labels[0]

    def provided_categories(self) -> frozenset[str]:
        return frozenset(self._providers).union(*(t.provides for t in self._dynamic_types().values()))

    def collect(self, *, citizen: Any, categories: Sequence[str]) -> dict[str, Any]:
        """The value of each requested category from its provider; ``None`` where no code type provides it.

        Whatever a provider returns beyond what was asked of it is dropped here, so a faulty plugin cannot
        widen a disclosure.
        """
        wanted = list(dict.fromkeys(categories))
        by_provider: dict[str, list[str]] = {}
        providers: dict[str, CodeType] = {}
        for category in wanted:
            provider = self.provider_for(category)
            if provider is not None:
                by_provider.setdefault(provider.key, []).append(category)
                providers[provider.key] = provider
        values: dict[str, Any] = {}
        for key, asked in by_provider.items():
            supplied: Mapping[str, Any] = providers[key].provide(citizen=citizen, categories=tuple(asked))
            for category in asked:
                values[category] = supplied.get(category)
        return {category: values.get(category) for category in wanted}

    def __contains__(self, key: object) -> bool:
        return key in self._types or (isinstance(key, str) and key in self._dynamic_types())

    def __len__(self) -> int:
        return len(self.all())


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


# -- needed by apps.medical ----------------------------------------------------------------------------------------
# Thin wrappers over core for the hospitals' code type. Core modules are imported inside each function: this module
# is imported by every plugin's apps.py, before the app registry (and so any model) is ready.

from importlib import import_module  # noqa: E402

from citycode.error_codes import ErrorCodeEnum  # noqa: E402  (imports nothing of Django's models)

if TYPE_CHECKING:
    # Re-exported for type checkers only: at run time __getattr__ below serves them.
    from citycode.errors import Conflict as Conflict
    from citycode.errors import DomainError as DomainError
    from citycode.errors import Forbidden as Forbidden
    from citycode.errors import NotFound as NotFound
    from citycode.routing import operations as operations  # one URL, one view class per HTTP method
else:
    # citycode.errors imports DRF's views and identity's permissions import models, which need the app registry:
    # importing them here, while apps.py files are being loaded, would fail. Loaded on first use (PEP 562); they are
    # not in __all__, so a star import cannot resolve them too early.
    _LAZY = {
        "Conflict": "citycode.errors", "DomainError": "citycode.errors", "Forbidden": "citycode.errors",
        "NotFound": "citycode.errors", "operations": "citycode.routing",
    }

    def __getattr__(name: str) -> Any:
        if name in _LAZY:
            return getattr(import_module(_LAZY[name]), name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: What a staff member may do for an organization (identity's object permissions, granted by role).
STAFF_ACT = "act"
STAFF_VIEW = "view"
STAFF_MANAGE = "manage"


def _staff_perm(perm: str) -> str:
    from apps.identity import permissions

    perms = {STAFF_ACT: permissions.ACT, STAFF_VIEW: permissions.VIEW_RECORDS, STAFF_MANAGE: permissions.MANAGE}
    if perm not in perms:
        raise ValueError(f"Unknown staff permission {perm!r}; use STAFF_ACT, STAFF_VIEW or STAFF_MANAGE.")
    return perms[perm]


def organization_staff_check(*, user: Any, organization: Any, perm: str = STAFF_ACT) -> bool:
    """Whether this person holds ``perm`` on this (active) organization through a role in it. An API client,
    an anonymous user, and a superuser without a role all get False."""
    from apps.identity import permissions

    return permissions.user_can(user=user, perm=_staff_perm(perm), organization=organization)


def organization_staff_list(*, user: Any, perm: str = STAFF_ACT) -> Any:
    """The active organizations this person holds ``perm`` on (a QuerySet of ``identity.Organization``)."""
    from apps.identity import permissions

    return permissions.organizations_for(user=user, perm=_staff_perm(perm))


def organization_get(*, slug: str) -> Any:
    """The organization with this slug, or None."""
    from apps.identity import selectors

    return selectors.organization_get(slug=slug)


def organization_ensure(*, slug: str, name: str, kind: str, name_en: str = "") -> Any:
    """The organization with this slug, created when missing (demo seeding; idempotent)."""
    from apps.identity import selectors, services

    return selectors.organization_get(slug=slug) or services.organization_create(
        slug=slug, name=name, kind=kind, name_en=name_en
    )


def membership_set(*, user: Any, organization: Any, role: str) -> Any:
    """Give a person a staff role (``admin``/``staff``/``viewer``) in an organization, with its permissions."""
    from apps.identity import services

    return services.membership_set(user=user, organization=organization, role=role)


# A scan action: what a code-type app does when core's /scan has let an organization through the consent gate for
# one of the app's purposes (the medical code checks the patient in on ``medical.registration``). The gate has
# already decided and logged; an action only acts, returns a small JSON-ready dict for the scanner (never more
# citizen data than the gate allowed), or raises DomainError to refuse with a code.
ScanAction = Callable[..., Mapping[str, Any]]


class _ScanActions(dict[str, tuple[str, ScanAction]]):
    """purpose -> (app, action). Filled during start-up only, like the code-type registry (not a cache)."""


_scan_actions = _ScanActions()


def scan_action_register(*, purpose: str, action: ScanAction, app_name: str) -> None:
    """Register ``action(organization=, purpose=, citizen=, actor=, code_type=)`` for scans with ``purpose``.
    Only during start-up (an AppConfig.ready()), only from an app on the allowlist, one action per purpose."""
    if registry.locked:
        raise ImproperlyConfigured(f"Scan actions register during start-up only ({purpose!r} from {app_name!r}).")
    if app_name not in registry.allowed_apps():
        raise ImproperlyConfigured(f"App {app_name!r} is not in CITYCODE_CODE_TYPES, so it may not act on scans.")
    if purpose in _scan_actions:
        raise ImproperlyConfigured(
            f"Purpose {purpose!r} already has a scan action from {_scan_actions[purpose][0]!r}; "
            f"{app_name!r} cannot add another."
        )
    _scan_actions[purpose] = (app_name, action)


def scan_action_run(
    *, organization: Any, purpose: str, citizen: Any, actor: Any, code_type: str
) -> dict[str, Any] | None:
    """Core's /scan calls this after the gate allowed a scan: the purpose's action's answer, or None if the
    purpose has no action."""
    entry = _scan_actions.get(purpose)
    if entry is None:
        return None
    return dict(entry[1](organization=organization, purpose=purpose, citizen=citizen, actor=actor,
                         code_type=code_type))


def code_scan(*, organization: Any, purpose: str, token: str, actor: Any, request_id: str = "") -> Any:
    """Core's unified scan (verify, consent gate, access log, single-use record, then the purpose's scan
    action), for a plugin's own staff page. Returns the ScanResult; a refusal raises DomainError."""
    from apps.codes import scan

    return scan.code_scan(organization=organization, purpose=purpose, token=token, actor=actor,
                          request_id=request_id)


def token_from_image(image: Any) -> str:
    """The code text in an uploaded photo or screenshot of a QR code (core's reader); DomainError if none."""
    from apps.codes import scan_image

    return scan_image.token_from_image(image)


__all__ += [
    "STAFF_ACT",
    "STAFF_MANAGE",
    "STAFF_VIEW",
    "ErrorCodeEnum",
    "ScanAction",
    "code_scan",
    "scan_action_register",
    "scan_action_run",
    "token_from_image",
    "membership_set",
    "organization_ensure",
    "organization_get",
    "organization_staff_check",
    "organization_staff_list",
]


# -- needed by apps.health ----------------------------------------------------------------------------------------
# The health commission matches its case lists by the keyed ID-number hash core stores (Citizen.id_hash), raises
# domain errors with its own codes, and acts only through staff of the commission.

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
    return organization_staff_check(user=user, organization=organization, perm=STAFF_ACT)

# -- needed by apps.transit ------------------------------------------------------------------------------------
# Thin, typed wrappers: each imports core on first call, because this module is imported while apps load
# (citycode.errors pulls in DRF's views, which load the authentication classes and with them the models).

from rest_framework.permissions import BasePermission  # noqa: E402  (imports no views, no models)

from .base45 import b45decode, b45encode  # noqa: E402
from .tokens import (  # noqa: E402  (pure: cryptography, cbor2, pycose; no models)
    ALGORITHMS,
    ES256,
    Signer,
    b64u,
    b64u_decode,
    public_key_from_jwk,
    raw_sign,
    raw_verify,
    sig_structure,
)

__all__ += [
    "ALGORITHMS",
    "ES256",
    "IsCitizen",
    "Signer",
    "b45decode",
    "b45encode",
    "b64u",
    "b64u_decode",
    "city_issuer",
    "consent_covers",
    "disclose",
    "domain_error",
    "emergency_active_exists",
    "epidemic_purpose_ensure",
    "issuer_key_entry_list",
    "issuer_signer_active",
    "organization_list",
    "public_key_from_jwk",
    "raw_sign",
    "raw_verify",
    "secret_digest",
    "secret_new",
    "sig_structure",
]


def domain_error(code: ErrorCodeEnum, message: str = "", *, fields: dict[str, Any] | None = None) -> Exception:
    """The error a service raises for a broken business rule (``raise domain_error(XErrorCode.Y, _("..."))``): the
    API answers with the member's code and its one HTTP status (citycode.errors.DomainError)."""
    from citycode import errors

    # The member decides the status; the raise-site check reads the plugin's `domain_error(XErrorCode.Y)`.
    error: Exception = errors.DomainError.__call__(code, message, fields=fields)
    return error


def secret_digest(secret: str) -> str:
    """SHA-256 hex of a 256-bit secret (a device credential), as identity stores API keys."""
    from apps.identity.credentials import digest

    return digest(secret)


def secret_new() -> str:
    """A fresh 256-bit secret for a device credential (shown once, stored only as ``secret_digest``)."""
    from apps.identity.credentials import new_token

    return new_token()


def organization_list(*, kind: str) -> Any:
    """The active organizations of one kind (e.g. ``transit_operator``), by slug (a QuerySet of Organization)."""
    from apps.identity.models import Organization

    return Organization.objects.filter(kind=kind, is_active=True).order_by("slug")


def city_issuer() -> str:
    """This city's issuer name (the ``iss`` of every token and certificate it signs)."""
    return str(settings.CITYCODE_ISSUER)


def issuer_signer_active() -> Signer:
    """The signer of this city's active issuer key (created or rotated when there is none): a write."""
    from .services import issuer_key_active

    return issuer_key_active()


def issuer_key_entry_list() -> list[dict[str, Any]]:
    """This city's published (active and retiring) public keys as trust-list entries
    ``{"iss", "kid", "alg", "nbf", "exp", "status", "jwk"}``; peer cities' keys are not included."""
    from . import selectors, trust

    return [trust.key_entry(issuer=key.issuer, kid=key.kid, alg=key.alg, jwk=key.public_jwk,
                            not_before=int(key.not_before.timestamp()), not_after=int(key.not_after.timestamp()),
                            status=key.status)
            for key in selectors.published_issuer_key_list()]


def disclose(*, organization: Any, purpose: str, citizen: Any, categories: Sequence[str] | None = None,
             actor: Any = None) -> Any:
    """The consent gate (``apps.consent.services.disclose``): returns the Disclosure (``.categories``,
    ``.basis``, ``.log_id``) or raises its DisclosureDenied (403 ``not_disclosed``); the access-log row is
    written either way. ``actor``: the staff member or API client acting for the organization."""
    from apps.consent.services import disclose as gate

    return gate(organization=organization, purpose=purpose, citizen=citizen,
                categories=None if categories is None else list(categories), actor=actor)


def consent_covers(*, citizen: Any, purpose: str, category: str, organization: Any = None,
                   now: dt.datetime | None = None) -> bool:
    """True if the citizen has a live (active) consent to ``purpose`` that covers ``category``, given to
    anyone or to ``organization``. A read: it discloses nothing and logs nothing."""
    from django.utils import timezone

    from apps.consent.selectors import consent_list

    moment = now or timezone.now()
    consents = consent_list(citizen=citizen).filter(purpose__code=purpose).select_related("purpose")
    return any(
        consent.status_at(moment) == "active" and category in consent.covered_categories
        and consent.organization_id in (None, getattr(organization, "pk", None))
        for consent in consents
    )


def emergency_active_exists(*, purpose: str, now: dt.datetime | None = None) -> bool:
    """True while a declared emergency covers ``purpose``."""
    from django.utils import timezone

    from apps.consent.selectors import emergency_list

    moment = now or timezone.now()
    return emergency_list().filter(purposes__code=purpose, starts_at__lte=moment, ends_at__gt=moment).exists()


def epidemic_purpose_ensure(spec: PurposeSpec) -> None:
    """Create (or leave unchanged) an epidemic-control purpose a code type needs, one that may carry the
    epidemic-only health colour (``PurposeSpec`` purposes are synced as ordinary purposes, which may not).
    Call it from a post_migrate hook; an empty catalogue (a test database just flushed) is left alone."""
    from apps.consent import selectors as consent_selectors
    from apps.consent import services as consent_services

    if not consent_selectors.category_list().filter(code__in=spec.categories).exists():
        return
    consent_services.purpose_upsert(
        code=spec.code, label_zh=spec.label_zh, label_en=spec.label_en, description_zh=spec.description_zh,
        description_en=spec.description_en, legal_basis=spec.legal_basis, categories=list(spec.categories),
        retention_days=spec.retention_days, epidemic_control=True,
    )


class IsCitizen(BasePermission):
    """DRF permission: a signed-in person (bearer token or session), not a machine or a reader
    (``apps.identity.permissions.IsCitizen``)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        from apps.identity.permissions import IsCitizen as core

        return bool(core().has_permission(request, view))


# -- needed by apps.transit (fares, taps, settlement, money) -----------------------------------------------------
# Lazy like the section above: identity's permissions import its models, not loaded yet when this module is.

__all__ += [
    "domain_error_type",
    "staff_can_act",
    "staff_organization_list",
]


def domain_error_type() -> type[Exception]:
    """The class of every error ``domain_error`` builds, for a page view to catch it
    (``except domain_error_type() as exc: messages.error(request, exc.message)``)."""
    from citycode import errors

    return errors.DomainError


def staff_can_act(*, user: Any, organization: Any) -> bool:
    """Whether the person holds a role that acts for the organization (staff or admin; never a superuser by
    default, never an API client)."""
    return organization_staff_check(user=user, organization=organization, perm=STAFF_ACT)


def staff_organization_list(*, user: Any, kind: str | None = None) -> Any:
    """The active organizations the person acts for, optionally of one kind (a QuerySet of Organization)."""
    from apps.identity import permissions

    organizations = permissions.organizations_for(user=user, perm=permissions.ACT)
    return organizations.filter(kind=kind) if kind else organizations


# -- needed by apps.licences ----------------------------------------------------------------------------------
# Thin, typed re-exports and wrappers for the e-licence code type (issue 12): the city's signing key and trust
# list (its selective-disclosure credentials are signed by the same keys the JWKS publishes), status lists
# (revocation of long-lived credentials), the consent gate, organizations and staff, and error types.
# Imports of core happen inside the wrappers: this module is imported while apps load.

from apps.codes.tokens import Signer as IssuerSigner  # noqa: E402
from apps.codes.tokens import StatusList, StatusLists, TrustedKey, TrustList  # noqa: E402
from apps.codes.tokens import envelope as cose_sign1_envelope  # noqa: E402
from apps.codes.tokens import sig_structure as cose_sig_structure  # noqa: E402

__all__ += [
    "IssuerSigner",
    "StatusList",
    "StatusLists",
    "TrustList",
    "TrustedKey",
    "access_grant_active",
    "citizen_by_id_number_get",
    "consent_give",
    "cose_sig_structure",
    "cose_sign1_envelope",
    "demo_api_key_ensure",
    "demo_consent_ensure",
    "demo_grant_ensure",
    "demo_membership_ensure",
    "demo_password",
    "held_tokens_revoke",
    "issuer_name",
    "live_status_lists_get",
    "live_trust_list_get",
    "organizations_acting_for",
    "purpose_label_get",
    "qr_svg",
    "purpose_categories_get",
    "status_index_allocate",
    "status_indices_set",
    "status_list_document_get",
    "user_acts_for",
    "IsApiClient",
]


def issuer_name() -> str:
    """This city's issuer name (``settings.CITYCODE_ISSUER``): the ``iss`` of every key in its trust list."""
    return str(settings.CITYCODE_ISSUER)


def live_trust_list_get() -> TrustList:
    """The keys a verifier trusts (this city's published keys and recognised peer cities'), cached briefly."""
    from apps.codes import selectors as codes_selectors

    return codes_selectors.live_trust_list_get()


def live_status_lists_get() -> StatusLists:
    """Every status list of this city as a verifier would hold it after a refresh."""
    from apps.codes import selectors as codes_selectors

    return codes_selectors.live_status_lists_get()


def status_list_document_get(*, list_id: str) -> dict[str, Any] | None:
    """The signed, published status list (flattened JWS) a verifier downloads, or None."""
    from apps.codes import selectors as codes_selectors

    found = codes_selectors.status_list_document_get(list_id=list_id)
    return None if found is None else dict(found[0])


def status_index_allocate(*, citizen: Any, list_id: str, expires_at: dt.datetime) -> int:
    """A fresh index in the status list ``list_id`` for one long-lived credential of the citizen."""
    from apps.codes import services as codes_services

    return codes_services.status_entry_create(citizen=citizen, code_type=list_id, expires_at=expires_at).index


def status_indices_set(*, list_id: str, indices: Sequence[int], revoked: bool = True) -> None:
    """Set (revoke, suspend) or clear (reinstate) these bits of a status list; the published list follows."""
    from apps.codes import services as codes_services

    if indices:
        codes_services.status_set_many(code_type=list_id, indices=list(indices), revoked=revoked)


def held_tokens_revoke(*, code_type: str, citizen: Any, revoked: bool = True) -> bool:
    """Revoke (or reinstate) the citizen's unexpired wallet tokens of a status-listed code type; False when
    there were none."""
    from apps.codes import services as codes_services
    from citycode.errors import NotFound as NoToken

    try:
        codes_services.token_revoke(code_type=code_type, citizen=citizen, revoked=revoked)
    except NoToken:  # none unexpired: nothing to revoke
        return False
    return True


class IsApiClient(BasePermission):
    """DRF permission: a machine authenticated with an organization's API key (identity's ``IsApiClient``)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        from apps.identity import permissions

        return bool(permissions.IsApiClient().has_permission(request, view))


def purpose_categories_get(*, code: str) -> frozenset[str] | None:
    """The data categories a purpose may ever be given (its upper bound), or None for an unknown purpose."""
    from apps.consent import selectors as consent_selectors

    purpose = consent_selectors.purpose_get(code=code)
    if purpose is None:
        return None
    return frozenset(purpose.categories.values_list("code", flat=True))


def consent_give(*, citizen: Any, purpose: str, categories: Sequence[str], organization: Any = None) -> Any:
    from apps.consent import services as consent_services

    return consent_services.consent_give(citizen=citizen, purpose=purpose, categories=list(categories),
                                         organization=organization)


def user_acts_for(*, user: Any, organization: Any) -> bool:
    """Whether a signed-in person may act for the organization (a staff or admin role in it)."""
    from apps.identity import permissions

    return permissions.user_can(user=user, perm=permissions.ACT, organization=organization)


def organizations_acting_for(*, user: Any) -> Any:
    """The active organizations the person may act for (a queryset)."""
    from apps.identity import permissions

    return permissions.organizations_for(user=user, perm=permissions.ACT)


def citizen_by_id_number_get(*, id_number: str) -> Any | None:
    """The registered citizen with this resident ID number (matched by its keyed hash), or None."""
    from apps.identity import selectors as identity_selectors

    try:
        return identity_selectors.citizen_get(id_number=id_number)
    except ValueError:
        return None


def demo_grant_ensure(*, organization: Any, purpose: str, legal_reference: str = "") -> None:
    """Demo seeding only: the data bureau's grant of ``purpose`` to ``organization``, made the way the consent
    demo makes its grants (``bureau`` submits; a statutory or sensitive one is approved by ``bureau2``)."""
    from apps.consent import selectors as consent_selectors
    from apps.consent import services as consent_services
    from apps.consent.demo import _second_admin
    from apps.consent.models import CatalogueProposal
    from apps.identity.models import Citizen

    the_purpose = consent_selectors.purpose_get(code=purpose)
    if the_purpose is None or consent_selectors.active_grant_get(organization=organization,
                                                                purpose=the_purpose) is not None:
        return
    result = consent_services.access_grant_submit(organization=organization, purpose=the_purpose,
                                                  submitted_by=Citizen.objects.get(username="bureau"),
                                                  legal_reference=legal_reference)
    if isinstance(result, CatalogueProposal):
        consent_services.proposal_approve(proposal=result, approved_by=_second_admin())


def demo_password() -> str:
    """Demo seeding only: the password every demo person has."""
    from apps.identity.demo import DEMO_PASSWORD

    return DEMO_PASSWORD


def demo_membership_ensure(*, user: Any, organization: Any, role: str) -> None:
    """Demo seeding only: give ``user`` the role in ``organization`` (idempotent)."""
    from apps.identity import services as identity_services

    identity_services.membership_set(user=user, organization=organization, role=role)


def demo_consent_ensure(*, citizen: Any, purpose: str, organization: Any, categories: Sequence[str]) -> None:
    """Demo seeding only: the citizen's live consent to ``purpose`` for ``organization``, given when missing."""
    from apps.consent import selectors as consent_selectors
    from apps.consent import services as consent_services

    if any(c.status == "active" and c.organization_id == organization.pk and c.purpose.code == purpose
           for c in consent_selectors.consent_list(citizen=citizen)):
        return
    consent_services.consent_give(citizen=citizen, purpose=purpose, categories=list(categories),
                                  organization=organization)


def demo_api_key_ensure(*, organization: Any, name: str, file_name: str) -> str:
    """Demo seeding only: an API client of ``organization`` whose key is written (0600) to ``file_name`` under
    BASE_DIR (git-ignored), like the city library's demo key; an existing client with its file is kept."""
    import os

    from apps.identity import services as identity_services
    from apps.identity.models import ApiClient

    path = settings.BASE_DIR / file_name
    existing = ApiClient.objects.filter(organization=organization, name=name, revoked_at__isnull=True).first()
    if existing is not None and path.exists():
        return file_name
    if existing is not None:
        identity_services.api_client_revoke(client=existing)
    _client, key = identity_services.api_client_create(organization=organization, name=name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return file_name


def qr_svg(*, text: str) -> str:
    """An SVG QR code of ``text`` (error correction L: a presentation is long). Not cached: a presentation is
    shown once, and personal data should not linger in a process-wide image cache."""
    from apps.codes import qr

    return str(qr.render_svg.__wrapped__(text, error="L"))


def access_grant_active(*, organization: Any, purpose: str) -> bool:
    """Whether the organization holds a grant for the purpose that is in force now (no consent is checked)."""
    from apps.consent import selectors as consent_selectors

    the_purpose = consent_selectors.purpose_get(code=purpose)
    return the_purpose is not None and consent_selectors.active_grant_get(
        organization=organization, purpose=the_purpose) is not None


def purpose_label_get(*, code: str, language: str | None = None) -> str:
    """A purpose's name in the reader's language (the code itself for an unknown purpose)."""
    from apps.consent import selectors as consent_selectors

    purpose = consent_selectors.purpose_get(code=code)
    return code if purpose is None else str(localized(purpose, "label", language))

# -- needed by apps.health (health_code: review, appeals, the epidemic-control purpose key) ----------------------
# Thin, typed wrappers. Each imports core on first call: this module is imported while apps load, before any model
# is ready. (Errors, organization_by_slug, staff_acts_for and id_number_hash come from the section above.)

__all__ += [
    "api_client_permission",
    "emergency_active_get",
    "emergency_declare",
    "emergency_last_end_get",
    "purpose_grant_active_check",
    "purpose_grant_list",
    "secret_key_derive",
]


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
                      ends_at: dt.datetime, proposed_by: Any, approved_by: Any) -> Any:
    """Declare an emergency covering the purposes the way the data bureau must: one administrator proposes, a
    second approves (the two-person rule; demo seeding and tests). Returns the declared ``consent.Emergency``."""
    from apps.consent import services

    proposal = services.emergency_propose(name=name, legal_reference=legal_reference, purposes=list(purposes),
                                          starts_at=starts_at, ends_at=ends_at, proposed_by=proposed_by)
    return services.proposal_approve(proposal=proposal, approved_by=approved_by).emergency


def secret_key_derive(*, info: str) -> bytes:
    """A 32-byte key for encrypting a plugin's secrets at rest, derived (HKDF-SHA256) from the platform's key
    encryption key with ``info`` naming its use (``"health/purpose-keys/v1"``), in a namespace of its own (never
    one of core's keys); never stored."""
    from apps.codes import keys

    return keys.plugin_key_derive(info.encode("utf-8"))
