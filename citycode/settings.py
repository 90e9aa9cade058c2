"""citycode settings: every value comes from the environment (see .env.example)."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .envvars import env_bool, env_int, env_list, env_str, running_under_pytest

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=running_under_pytest())  # pytest from a plain shell needs no DEBUG=true
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required unless DEBUG=true.")
    SECRET_KEY = "insecure-dev-only-key-never-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Keyed hash for resident ID numbers. Separate from SECRET_KEY so rotating the session key
# does not break matching against departments' lists.
CITYCODE_ID_HASH_KEY = env_str("CITYCODE_ID_HASH_KEY", "")  # "" keeps the type str (unset is falsy all the same)
if not CITYCODE_ID_HASH_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("CITYCODE_ID_HASH_KEY is required unless DEBUG=true.")
    CITYCODE_ID_HASH_KEY = "dev-only-id-hash-key"

# Encrypts issuer private keys and other secrets at rest.
CITYCODE_KEY_ENCRYPTION_KEY = env_str("CITYCODE_KEY_ENCRYPTION_KEY", "")
if not CITYCODE_KEY_ENCRYPTION_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("CITYCODE_KEY_ENCRYPTION_KEY is required unless DEBUG=true.")
    CITYCODE_KEY_ENCRYPTION_KEY = "dev-only-key-encryption-key"

# Issuer of this city's signed codes; it sits in every token, so keep it short (the city code must fit 200
# characters). Peer cities recognise each other's keys per issuer.
CITYCODE_ISSUER = env_str("CITYCODE_ISSUER", "CC")
# Token signing keys: ES256 or EdDSA; active (signing) for ACTIVE_DAYS, then published while retiring for
# RETIRING_DAYS (at least the longest token lifetime), then retired (see apps/codes/services.py).
CITYCODE_KEY_ALGORITHM = env_str("CITYCODE_KEY_ALGORITHM", "ES256")
CITYCODE_KEY_ACTIVE_DAYS = env_int("CITYCODE_KEY_ACTIVE_DAYS", 30)
CITYCODE_KEY_RETIRING_DAYS = env_int("CITYCODE_KEY_RETIRING_DAYS", 400)
CITYCODE_PUBLIC_URL = env_str("CITYCODE_PUBLIC_URL", "http://127.0.0.1:8000")
CITYCODE_REALNAME_VERIFIER = env_str(
    "CITYCODE_REALNAME_VERIFIER", "apps.identity.realname.LocalRegistryVerifier"
)
# When true, an ID number absent from the local registry is refused; when false it passes on checksum.
CITYCODE_REALNAME_REGISTRY_STRICT = env_bool("CITYCODE_REALNAME_REGISTRY_STRICT", default=False)
# Says out loud that this city has no population registry to check names against: registration then rests
# on the checksum alone, and citizens are shown as "not verified against a registry".
CITYCODE_REALNAME_NO_REGISTRY = env_bool("CITYCODE_REALNAME_NO_REGISTRY", default=False)
if (
    not DEBUG
    and CITYCODE_REALNAME_VERIFIER == "apps.identity.realname.LocalRegistryVerifier"
    and not CITYCODE_REALNAME_REGISTRY_STRICT
    and not CITYCODE_REALNAME_NO_REGISTRY
):
    # A checksum is computable by anyone: without a registry, anyone registers any name on any number and
    # locks the real owner out. Production must choose: a real verifier, the strict local registry, or
    # an explicit "no registry".
    raise ImproperlyConfigured(
        "The real-name verifier checks only the checksum: set CITYCODE_REALNAME_VERIFIER, "
        "CITYCODE_REALNAME_REGISTRY_STRICT=true, or CITYCODE_REALNAME_NO_REGISTRY=true."
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "apps.identity",
    "apps.consent",
    "apps.codes",
]

# Code types that city departments plug in (apps/<department>, see apps/codes/plugin_api.py). Only apps on this
# allowlist may register a code type; they are appended to INSTALLED_APPS, after core, in this order.
CITYCODE_CODE_TYPES = env_list(
    "CITYCODE_CODE_TYPES", ["apps.talent", "apps.transit", "apps.medical", "apps.health", "apps.licences"]
)
INSTALLED_APPS += [app for app in CITYCODE_CODE_TYPES if app not in INSTALLED_APPS]

# -- health (apps/health) --
# The organization whose staff upload case lists and publish colour rules.
CITYCODE_HEALTH_COMMISSION = env_str("CITYCODE_HEALTH_COMMISSION", "health-commission")
# A rule set comes into force no sooner than this after publication (CertLogic's 48 hours).
CITYCODE_HEALTH_RULE_NOTICE_HOURS = env_int("CITYCODE_HEALTH_RULE_NOTICE_HOURS", 48)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "citycode.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.identity.middleware.LoginLimitMiddleware",  # the admin log-in's 429 (sign-in limits)
]

ROOT_URLCONF = "citycode.urls"
WSGI_APPLICATION = "citycode.wsgi.application"
ASGI_APPLICATION = "citycode.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.identity.context_processors.staff_navigation",
            ],
        },
    },
]

DATABASES = {
    "default": environ.Env.db_url_config(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    )
}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 0)
# With persistent connections, check one before reusing it in a new request: after a PostgreSQL restart the
# first request on each stale connection would otherwise fail with a 500.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the demo server and a seed command share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "identity.Citizen"
AUTHENTICATION_BACKENDS = [
    "apps.identity.backends.UsernameOrPhoneBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# citycode's Citizen has required real-name fields; guardian's anonymous user would not satisfy them.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

AUTH_PASSWORD_VALIDATORS = [
    # Citizen has no e-mail or first/last name: compare with what it does hold.
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("username", "name", "phone")}},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in limits (apps/identity/login_limits.py): failed attempts per window, counted per client address, per
# (account, address), and per account from addresses that never signed in to it.
LOGIN_LIMIT_WINDOW = env_int("LOGIN_LIMIT_WINDOW", 900)
LOGIN_LIMIT_PER_ADDRESS = env_int("LOGIN_LIMIT_PER_ADDRESS", 30)
LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS = env_int("LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS", 10)
LOGIN_LIMIT_PER_ACCOUNT = env_int("LOGIN_LIMIT_PER_ACCOUNT", 10)
# API sign-ins: a short-lived access token, renewed with single-use refresh tokens until the sign-in ends.
CITYCODE_ACCESS_TOKEN_MINUTES = env_int("CITYCODE_ACCESS_TOKEN_MINUTES", 30)
CITYCODE_REFRESH_TOKEN_DAYS = env_int("CITYCODE_REFRESH_TOKEN_DAYS", 30)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# locale/ is the catalogue; locale_parts/<part>/ hold catalogues of work in progress until they are merged into it.
LOCALE_PATHS = [BASE_DIR / "locale", *sorted(p for p in (BASE_DIR / "locale_parts").glob("*") if p.is_dir())]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": environ.Env.cache_url_config(CACHE_URL)
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "citycode"}
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "citycode.cache.RedisCache"  # one Redis client per pool, not per call

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.identity.authentication.BearerTokenAuthentication",
        "apps.identity.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "citycode.errors.api_exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "citycode.parsers.JSONParser",  # DRF's, but too-deep nesting is a 400 (not a RecursionError 500)
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "register": env_str("REGISTER_RATE", "20/hour"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # How many reverse proxies sit in front: rate limits trust X-Forwarded-For only that deep. 0 = use the
    # socket address, so a client cannot dodge the login limit by sending a fresh X-Forwarded-For.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "citycode API",
    "DESCRIPTION": "One citizen identity, every city code, one consent gate.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files: the city's network may have no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: no broker configured means eager mode, so the demo needs nothing but Python.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND")
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_BEAT_SCHEDULE["codes-rotate-issuer-keys"] = {"task": "codes.rotate_issuer_keys", "schedule": 3600.0}
# Single-use records live as long as their token (minutes); pruning every 10 minutes keeps the table small.
CELERY_BEAT_SCHEDULE["codes-prune-token-uses"] = {"task": "codes.prune_token_uses", "schedule": 600.0}
# Redact/prune access-log rows past their purpose's retention (apps/consent/chain.py explains the chain anchors).
CELERY_BEAT_SCHEDULE["consent-access-log-retention"] = {"task": "consent.apply_retention", "schedule": 3600.0}
# health: a newly effective rule set recolours its region; predicted colour changes (after N clean days) happen.
CELERY_BEAT_SCHEDULE["health-rule-sets-activate"] = {"task": "health.rule_sets_activate", "schedule": 300.0}
CELERY_BEAT_SCHEDULE["health-colours-due"] = {"task": "health.colours_due_recolour", "schedule": 900.0}
# An unpaid booking holds its place MEDICAL_HOLD_SECONDS; the release runs every minute so a place is free soon after.
MEDICAL_HOLD_SECONDS = env_int("MEDICAL_HOLD_SECONDS", 900)
CELERY_BEAT_SCHEDULE["medical-release-expired-holds"] = {"task": "medical.release_expired_holds", "schedule": 60.0}
# Payments whose provider notification has not come are queried every minute (and closed after 30 minutes unpaid).
CELERY_BEAT_SCHEDULE["medical-payments-query-stale"] = {"task": "medical.payments_query_stale", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["medical-mark-noshows"] = {"task": "medical.mark_noshows", "schedule": 900.0}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}

# Production hardening; `manage.py check --deploy` is clean when DEBUG is false.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# -- health code: review, appeals, the epidemic-control purpose key (apps/health, health_code's part) --
# An alert for the health commission and the data bureau when, within the window, a manual batch, or manual reds
# tied to one venue, exceed these; or when one case list has decided more reds than the last figure.
CITYCODE_HEALTH_ALERT_WINDOW_HOURS = env_int("CITYCODE_HEALTH_ALERT_WINDOW_HOURS", 24)
CITYCODE_HEALTH_ALERT_MANUAL_BATCH = env_int("CITYCODE_HEALTH_ALERT_MANUAL_BATCH", 50)
CITYCODE_HEALTH_ALERT_VENUE_REDS = env_int("CITYCODE_HEALTH_ALERT_VENUE_REDS", 20)
CITYCODE_HEALTH_ALERT_LIST_REDS = env_int("CITYCODE_HEALTH_ALERT_LIST_REDS", 5000)
# The commission answers an appeal within this many hours, or it escalates (Hubei 2022: 48 hours).
CITYCODE_HEALTH_APPEAL_ANSWER_HOURS = env_int("CITYCODE_HEALTH_APPEAL_ANSWER_HOURS", 48)
# Verifiers receive tomorrow's purpose key this many hours before midnight (an offline gate keeps reading).
CITYCODE_HEALTH_PURPOSE_KEY_PREFETCH_HOURS = env_int("CITYCODE_HEALTH_PURPOSE_KEY_PREFETCH_HOURS", 4)
# Outside an emergency, health evidence older than this is deleted (the epidemic-control purpose's 30 days).
CITYCODE_HEALTH_EVIDENCE_RETENTION_DAYS = env_int("CITYCODE_HEALTH_EVIDENCE_RETENTION_DAYS", 30)
CELERY_BEAT_SCHEDULE["health-purpose-keys-rotate"] = {"task": "health.purpose_keys_rotate", "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["health-appeals-escalate"] = {"task": "health.appeals_escalate", "schedule": 300.0}
CELERY_BEAT_SCHEDULE["health-alerts-check"] = {"task": "health.alerts_check", "schedule": 600.0}
CELERY_BEAT_SCHEDULE["health-evidence-retention"] = {"task": "health.evidence_retention", "schedule": 3600.0}
