"""Adhere's one settings file, driven by the environment.

Every variable read here is listed, with its default, in README.md
("Configuration"). Defaults are safe for production (DEBUG off, secure
cookies); `make run` turns DEBUG on for local development.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from adherence.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string, or set DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.forms",  # its widget templates, for FORM_RENDERER
    "django.contrib.humanize",  # allauth.usersessions formats "last seen" with it
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_q",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.headless",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc, served from our own origin
    "adherence",
    "accounts",
    "patients",
    "reminders",
    "audit",
    "notifications",
    "api",
    "pages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # JSON endpoints: bodies within DATA_UPLOAD_MAX_MEMORY_SIZE (413) and MAX_DEPTH (400), in JSON.
    "adherence.jsonbody.JSONBodyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "audit.middleware.AuditActorMiddleware",
    "patients.middleware.PatientTimeZoneMiddleware",
    "adherence.middleware.NoStoreMiddleware",
]

ROOT_URLCONF = "adherence.urls"
WSGI_APPLICATION = "adherence.wsgi.application"
ASGI_APPLICATION = "adherence.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "adherence.context_processors.site",
                "notifications.context_processors.badge",
                "notifications.context_processors.push",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# No DATABASE_URL: an SQLite file beside manage.py, so a new user needs nothing
# installed. DATABASE_URL=postgres://...: PostgreSQL through psycopg 3 with
# persistent, health-checked connections.
DATABASE_URL = env_str("DATABASE_URL")
DB_CONN_MAX_AGE = env_int("DB_CONN_MAX_AGE", 600, minimum=0)
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=True)
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(BASE_DIR / "db.sqlite3"),
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the q2 cluster write to the same file: WAL lets
    # readers go on during a write, IMMEDIATE takes the write lock up front
    # (no upgrade deadlocks), and the timeout waits for it instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

# Every request is one transaction: a change and its audit entry commit together or not at all.
DATABASES["default"]["ATOMIC_REQUESTS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and scheduler ----------------------------------------------------
# The default cache holds login rate limits, so it must be shared by every
# web process: Redis when REDIS_URL is set, otherwise a database table.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    _default_cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
else:
    _default_cache = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "adherence_cache"}
CACHES = {
    "default": _default_cache,
    # django-q2 writes cluster statistics here several times a second; they
    # are per-process diagnostics, so they stay in memory. /healthz uses the
    # heartbeat job instead (adherence.scheduler).
    "q2": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "q2"},
}

Q_CLUSTER = {
    "name": "adherence",
    "label": "Scheduled jobs",
    "workers": env_int("Q2_WORKERS", 2, minimum=1),
    "timeout": 120,
    "retry": 180,
    "max_attempts": 3,
    "ack_failures": True,
    "save_limit": 500,
    "queue_limit": 50,
    "poll": 1,
    # Our periodic jobs catch up by themselves (they look at what is due, not
    # at how often they ran); replaying every missed run after downtime would
    # only repeat work.
    "catch_up": False,
    "cache": "q2",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- Accounts ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # mail scanners follow links; a person presses the button
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False  # keep this session; the others end (allauth.usersessions)
ACCOUNT_EMAIL_NOTIFICATIONS = True  # tell people when their password or email changes
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Adhere: "
ACCOUNT_SESSION_REMEMBER = None  # ask: "keep me signed in on this device"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"  # the client's address: adherence.proxies
ACCOUNT_RATE_LIMITS = {
    # allauth's defaults, stated so that they are visibly on.
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Adhere"

# Sign in with SSO: any OpenID Connect provider, switched on by setting its
# server URL and client id (and secret).
OIDC_SERVER_URL = env_str("OIDC_SERVER_URL")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID")
SOCIALACCOUNT_PROVIDERS: dict = {}
if OIDC_SERVER_URL and OIDC_CLIENT_ID:
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": env_str("OIDC_PROVIDER_ID", "sso"),
                "name": env_str("OIDC_PROVIDER_NAME", "SSO"),
                "client_id": OIDC_CLIENT_ID,
                "secret": env_str("OIDC_CLIENT_SECRET"),
                "settings": {"server_url": OIDC_SERVER_URL},
            }
        ],
    }

# Sessions: idle logoff after SESSION_IDLE_TIMEOUT_MINUTES (accounts.middleware),
# except a non-staff user who ticked "keep me signed in on this device", whose
# session lasts REMEMBER_DEVICE_DAYS.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT_MINUTES", 30, minimum=1) * 60
REMEMBER_DEVICE_DAYS = env_int("REMEMBER_DEVICE_DAYS", 30, minimum=1, maximum=30)
SESSION_COOKIE_AGE = REMEMBER_DEVICE_DAYS * 24 * 60 * 60
# An app's session token (X-Session-Token) keeps the idle rule above and ends this long after
# signing in, however active (accounts.idle.token_session_refused).
SESSION_TOKEN_MAX_AGE = (
    env_int("SESSION_TOKEN_MAX_AGE_HOURS", 24, minimum=1, maximum=REMEMBER_DEVICE_DAYS * 24) * 60 * 60
)

# --- Email --------------------------------------------------------------------
# Console by default (mail is printed where `make run` runs); SMTP as soon as
# EMAIL_HOST is set; any Django mail backend through EMAIL_BACKEND.
_email_host = env_str("EMAIL_HOST")
_email_backend = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if _email_host
    else "django.core.mail.backends.console.EmailBackend",
)
_email_options: dict = {}
if _email_backend == "django.core.mail.backends.smtp.EmailBackend":
    _email_options = {
        "host": _email_host or "localhost",
        "port": env_int("EMAIL_PORT", 587),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", True),
        "timeout": 20,
    }
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Adhere <adhere@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation -------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
# The zone of a patient profile made through the API without one, when the account has not
# chosen a zone of its own (notification settings). Checked against the zone database at start.
PATIENT_DEFAULT_TIME_ZONE = env_str("PATIENT_DEFAULT_TIME_ZONE", TIME_ZONE)
try:
    import zoneinfo as _zoneinfo

    _zoneinfo.ZoneInfo(PATIENT_DEFAULT_TIME_ZONE)
except (ValueError, _zoneinfo.ZoneInfoNotFoundError):
    raise ImproperlyConfigured(
        f"PATIENT_DEFAULT_TIME_ZONE={PATIENT_DEFAULT_TIME_ZONE!r} is not a time zone like Europe/London."
    ) from None
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security -----------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # htmx gets the token from the page, not the cookie
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many proxies of ours append to X-Forwarded-For in front of the app (adherence.proxies):
# the client's address is the one that many entries from the right. 0 ignores the header, which
# anyone can send. One proxy is assumed behind a TLS proxy.
NUM_PROXIES = env_int("NUM_PROXIES", 1 if BEHIND_TLS_PROXY else 0, minimum=0, maximum=10)
ALLAUTH_TRUSTED_PROXY_COUNT = NUM_PROXIES  # allauth's own reading, though its adapter uses ours
# /healthz is probed over plain HTTP by load balancers and orchestrators.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

_form_action: list[str] = [CSP.SELF]
if OIDC_SERVER_URL:
    # Signing in with SSO posts a form that redirects to the provider.
    _oidc = urlsplit(OIDC_SERVER_URL)
    _form_action.append(f"{_oidc.scheme}://{_oidc.netloc}")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": _form_action,
}

# --- Logging --------------------------------------------------------------------
# Request lines carry URL paths; links mailed to people carry single-use keys
# in their paths. The filter blanks those keys before anything is written.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "adherence.logging.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

SITE_NAME = "Adhere"

# Forms render with our field markup (labels, help and errors tied to inputs).
FORM_RENDERER = "adherence.forms.FormRenderer"

# --- Care teams -------------------------------------------------------------------
# How long an emailed caregiver invitation stays usable.
CARE_INVITATION_DAYS = env_int("CARE_INVITATION_DAYS", 7, minimum=1, maximum=30)

# --- Doses ------------------------------------------------------------------------
# Schedules are expanded into dose rows this many days ahead (decision 1).
DOSE_HORIZON_DAYS = env_int("DOSE_HORIZON_DAYS", 7, minimum=2, maximum=60)

# --- Notifications (notifications/) ---------------------------------------------------
# The address of this site, for links in emails and texts sent by the worker (no request there).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# How often open pages ask for new notifications (the header badge, the caregiver dashboard).
NOTIFICATION_POLL_SECONDS = env_int("NOTIFICATION_POLL_SECONDS", 30, minimum=1, maximum=30)
# Web push (VAPID). Without both keys, the app offers no push notifications.
# Make a pair with: .venv/bin/python manage.py vapid_keys
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY")
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY")
VAPID_SUBJECT = env_str("VAPID_SUBJECT", "mailto:adhere@localhost")
# Tests only: accept push endpoints on this machine (http://127.0.0.1:PORT). Never from the
# environment: the server POSTs to every endpoint a browser hands over, and local ones would
# let anyone who can sign in make it send requests into our own network.
PUSH_ALLOW_LOCAL_ENDPOINTS = False
# Text messages: "twilio" sends them through Twilio's REST API; "console" prints them to the log
# (development only); empty: the app offers no text messages. The default is "console" with
# DEBUG=1 and empty otherwise.
SMS_BACKEND = env_str("SMS_BACKEND", "console" if DEBUG else "")
if SMS_BACKEND == "console" and not DEBUG:
    raise ImproperlyConfigured(
        "SMS_BACKEND=console prints text messages instead of sending them; it is for development "
        "(DEBUG=1). Set SMS_BACKEND=twilio with the TWILIO_* settings, or leave it empty for no texts."
    )
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
TWILIO_API_URL = env_str("TWILIO_API_URL", "https://api.twilio.com").rstrip("/")

# --- Audit trail --------------------------------------------------------------------
# Entries carry an HMAC under this key (or one derived from SECRET_KEY). Set it
# separately in production so that rotating SECRET_KEY keeps the trail verifiable.
AUDIT_KEY = env_str("AUDIT_KEY")
# Off only for the benchmark's baseline (bench/audit_throughput.py).
AUDIT_ENABLED = True

# --- REST API (api/) -------------------------------------------------------------------
# App clients sign in through allauth's headless API (/_allauth/app/v1/auth/login) and
# send the session token it returns as X-Session-Token; the browser's session works too.
HEADLESS_ONLY = False
HEADLESS_CLIENTS = ("app", "browser")
HEADLESS_SERVE_SPECIFICATION = False
# Its user payloads name the user by objectId, never the database id.
HEADLESS_ADAPTER = "accounts.adapter.HeadlessAdapter"
HEADLESS_TOKEN_STRATEGY = "api.authentication.SessionTokenStrategy"  # noqa: S105 (a class, not a secret)
HEADLESS_FRONTEND_URLS = {
    "account_confirm_email": "/accounts/confirm-email/{key}/",
    "account_reset_password_from_key": "/accounts/password/reset/key/{key}/",
    "account_signup": "/accounts/signup/",
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.SessionTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],  # DRF's, with a bound on nesting
    # The per-user limit is kept in one row per user (api.throttling); anonymous callers (the
    # public schema and its playground) are limited through the cache, as DRF does.
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.UserRateThrottle",
        "api.throttling.AnonRateThrottle",
    ],
    "NUM_PROXIES": NUM_PROXIES,  # api.throttling.AnonRateThrottle uses adherence.proxies; DRF itself too
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("API_THROTTLE_USER", "2000/hour"),
        "anon": env_str("API_THROTTLE_ANON", "100/hour"),
    },
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Adhere API",
    "DESCRIPTION": (
        "Medications, doses and confirmations in the field names of the original brief. "
        "Sign in with POST /_allauth/app/v1/auth/login, then send the session token as X-Session-Token."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its playground are public: they describe the API, they hold no data.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.document_errors",
        "api.schema.add_examples",
    ],
}
