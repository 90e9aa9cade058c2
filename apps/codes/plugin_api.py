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


# -- needed by apps.licences ----------------------------------------------------------------------------------
# Thin, typed re-exports and wrappers for the e-licence code type (issue 12): the city's signing key and trust
# list (its selective-disclosure credentials are signed by the same keys the JWKS publishes), status lists
# (revocation of long-lived credentials), the consent gate, organizations and staff, and error types.
# Imports of core happen inside the wrappers: this module is imported while apps load.

from rest_framework.permissions import BasePermission  # noqa: E402

from apps.codes.base45 import b45decode, b45encode  # noqa: E402
from apps.codes.tokens import Signer as IssuerSigner  # noqa: E402
from apps.codes.tokens import (  # noqa: E402
    StatusList,
    StatusLists,
    TrustedKey,
    TrustList,
    b64u,
    b64u_decode,
    public_key_from_jwk,
    raw_sign,
    raw_verify,
)
from apps.codes.tokens import envelope as cose_sign1_envelope  # noqa: E402
from apps.codes.tokens import sig_structure as cose_sig_structure  # noqa: E402
from citycode.error_codes import ErrorCodeEnum  # noqa: E402

__all__ += [
    "Conflict",
    "DomainError",
    "ErrorCodeEnum",
    "Forbidden",
    "IssuerSigner",
    "NotFound",
    "StatusList",
    "StatusLists",
    "TrustList",
    "TrustedKey",
    "access_grant_active",
    "b45decode",
    "b45encode",
    "b64u",
    "b64u_decode",
    "citizen_by_id_number_get",
    "consent_give",
    "cose_sig_structure",
    "cose_sign1_envelope",
    "demo_api_key_ensure",
    "demo_consent_ensure",
    "demo_grant_ensure",
    "demo_membership_ensure",
    "demo_password",
    "disclose",
    "held_tokens_revoke",
    "issuer_name",
    "issuer_signer_active",
    "live_status_lists_get",
    "live_trust_list_get",
    "organization_ensure",
    "organization_get",
    "organizations_acting_for",
    "public_key_from_jwk",
    "purpose_label_get",
    "qr_svg",
    "purpose_categories_get",
    "raw_sign",
    "raw_verify",
    "status_index_allocate",
    "status_indices_set",
    "status_list_document_get",
    "user_acts_for",
    "IsApiClient",
    "IsCitizen",
]


def issuer_name() -> str:
    """This city's issuer name (``settings.CITYCODE_ISSUER``): the ``iss`` of every key in its trust list."""
    return str(settings.CITYCODE_ISSUER)


def issuer_signer_active() -> IssuerSigner:
    """The signer of the city's active key (the one ``/.well-known/jwks.json`` publishes); a write: it makes
    or rotates the key when there is none, like issuing a token does."""
    from apps.codes import services as codes_services

    return codes_services.issuer_key_active()


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


def disclose(*, organization: Any, purpose: str, citizen: Any, categories: Sequence[str],
             actor: Any = None) -> Any:
    """The consent gate: checks grant, then consent or legal basis, writes the citizen's access-log row and
    returns the ``Disclosure`` (``.categories`` allowed). Raises :class:`DisclosureDenied` (403)."""
    from apps.consent.services import disclose as gate

    return gate(organization=organization, purpose=purpose, citizen=citizen, categories=list(categories),
                actor=actor)


class IsCitizen(BasePermission):
    """DRF permission: a signed-in person (identity's ``IsCitizen``, resolved on use: it imports models)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        from apps.identity import permissions

        return bool(permissions.IsCitizen().has_permission(request, view))


class IsApiClient(BasePermission):
    """DRF permission: a machine authenticated with an organization's API key (identity's ``IsApiClient``)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        from apps.identity import permissions

        return bool(permissions.IsApiClient().has_permission(request, view))


# The error types live in citycode.errors, which imports DRF's views (and through them the identity models):
# resolved on first use, after start-up, so importing this module while apps load stays safe.
_LAZY_ERRORS = frozenset({"Conflict", "DomainError", "Forbidden", "NotFound"})
if TYPE_CHECKING:
    from citycode.errors import Conflict, DomainError, Forbidden, NotFound


def __getattr__(name: str) -> Any:
    if name in _LAZY_ERRORS:
        from citycode import errors

        return getattr(errors, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def organization_get(*, slug: str) -> Any | None:
    from apps.identity import selectors as identity_selectors

    return identity_selectors.organization_get(slug=slug)


def organization_ensure(*, slug: str, name: str, name_en: str, kind: str) -> Any:
    """The organization with this slug, created when missing (demo seeding: idempotent)."""
    from apps.identity import selectors as identity_selectors
    from apps.identity import services as identity_services

    found = identity_selectors.organization_get(slug=slug)
    if found is not None:
        return found
    return identity_services.organization_create(slug=slug, name=name, name_en=name_en, kind=kind)


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
