"""ThinkFamily settings: one file, driven by the environment.

With nothing set you get the *embedded default*: SQLite under ``var/``, Celery
tasks run eagerly in-process and a local-memory cache. Set ``DATABASE_URL`` and
``REDIS_URL`` to run on PostgreSQL with a real Celery worker on Redis.

A production deployment (``DEBUG`` off) refuses to start with the default
secret key; ``DEBUG`` on is refused when ``THINKFAMILY_ENV=production``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("THINKFAMILY_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true/false)")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


INSECURE_DEFAULT_SECRET_KEY = "insecure-embedded-default-do-not-use-in-production"  # noqa: S105 - refused when THINKFAMILY_ENV=production

THINKFAMILY_ENV = os.environ.get("THINKFAMILY_ENV", "development")
DEBUG = env_bool("DEBUG", THINKFAMILY_ENV != "production")
SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_DEFAULT_SECRET_KEY)

if THINKFAMILY_ENV == "production":
    if DEBUG:
        raise ImproperlyConfigured("Refusing to start: DEBUG is on in production (THINKFAMILY_ENV=production).")
    if SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("Refusing to start: set SECRET_KEY to a random value of 32+ characters in production.")
elif not DEBUG and SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured("Refusing to start: DEBUG is off but SECRET_KEY is the insecure default.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "thinkfamily.apps.ThinkFamilyAdminConfig",  # django.contrib.admin with the audited, second-factor site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "simple_history",  # a dataset definition's every version (apps/sources/models.py: Dataset.history)
    "apps.accounts",
    "apps.audit",
    "apps.sources",
    "apps.gazetteer",
    "apps.people",
    "apps.schools",
    "apps.caseview",
    "apps.indicators",
    "apps.matching",
    "apps.casework",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "thinkfamily.middleware.StaticMiddleware",
    "csp.middleware.CSPMiddleware",
    "thinkfamily.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "apps.accounts.middleware.SessionTimeoutMiddleware",
    "apps.accounts.middleware.SecondFactorMiddleware",
    "apps.accounts.middleware.ViewerMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "thinkfamily.urls"
WSGI_APPLICATION = "thinkfamily.wsgi.application"
ASGI_APPLICATION = "thinkfamily.asgi.application"

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
                "apps.accounts.context_processors.access",
                "csp.context_processors.nonce",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "thinkfamily.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
# Audit rows are written in the same transaction as the read they record.
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery ----------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Europe/London"
# GOV.UK Notify: email a lead practitioner that there is something new (never what, nor about whom).
# Off unless both are set.
NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY", "")
NOTIFY_TEMPLATE_ID = os.environ.get("NOTIFY_TEMPLATE_ID", "")

CELERY_BEAT_SCHEDULE = {
    # overnight: imports arrive, then a full match at 01:30, then the indicator refresh at 04:00
    "nightly-full-match": {"task": "thinkfamily.orchestration.nightly_full_match_task", "schedule": crontab(hour=1, minute=30)},
    "indicators-refresh-nightly": {"task": "apps.indicators.tasks.refresh_indicators_task", "schedule": crontab(hour=4, minute=0)},
    "audit-verify-chain": {"task": "apps.audit.tasks.audit_verify_task", "schedule": timedelta(hours=1)},
    "audit-retention": {"task": "apps.audit.tasks.audit_retention_task", "schedule": timedelta(days=1)},
    "audit-alerts": {"task": "apps.audit.tasks.audit_alerts_task", "schedule": timedelta(minutes=15)},
    "accounts-expire-grants": {"task": "apps.accounts.tasks.expire_grants_task", "schedule": timedelta(hours=1)},
    "dead-runs-mark": {"task": "thinkfamily.orchestration.dead_runs_mark_task", "schedule": timedelta(minutes=1)},
}

# --- Auth and login security -----------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
ANONYMOUS_USER_NAME = None  # guardian: no anonymous object permissions

AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)

SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", str(30 * 60)))
SESSION_ABSOLUTE_TIMEOUT = int(os.environ.get("SESSION_ABSOLUTE_TIMEOUT", str(10 * 60 * 60)))
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_COOKIES = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Security headers ---------------------------------------------------------
# Content-Security-Policy (django-csp 4): scripts only from this site or an inline
# <script nonce="{{ CSP_NONCE }}">, a fresh nonce per response; no inline styles at all.
# htmx's own indicator <style> is switched off in base.html (meta htmx-config).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Every response Django makes (everything but static files, which whitenoise serves
# before any of this) is Cache-Control: no-store with Pragma: no-cache:
# thinkfamily.middleware.NoStoreMiddleware, documented in docs/operations.md.
# The TOTP key is never shown in the admin (see also apps/accounts/admin.py).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))

# --- REST framework ----------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: the browsable API's HTML pages use inline styles the Content-Security-Policy refuses,
    # and an API for other systems needs no forms in a browser.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
}

# --- i18n, static --------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("govuk", NODE_MODULES / "govuk-frontend" / "dist" / "govuk"),
    ("moj", NODE_MODULES / "@ministryofjustice" / "frontend" / "moj"),
    ("htmx", NODE_MODULES / "htmx.org" / "dist"),
]
# Serve straight from the finders, so the embedded default needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Domain settings -----------------------------------------------------------
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", str(7 * 365)))
ACCESS_GRANT_MAX_DAYS = 366
ACCESS_REVIEW_WINDOW_DAYS = int(os.environ.get("ACCESS_REVIEW_WINDOW_DAYS", "30"))
WORKING_HOURS = (7, 19)  # local hours considered in-hours for audit alerts

# Record linkage (docs/matching.md)
MATCHING_MATCH_THRESHOLD = float(os.environ.get("MATCHING_MATCH_THRESHOLD", "0.99"))
MATCHING_REVIEW_THRESHOLD = float(os.environ.get("MATCHING_REVIEW_THRESHOLD", "0.80"))
if not 0 < MATCHING_REVIEW_THRESHOLD <= MATCHING_MATCH_THRESHOLD <= 1:
    raise ImproperlyConfigured(
        f"MATCHING_REVIEW_THRESHOLD ({MATCHING_REVIEW_THRESHOLD}) and MATCHING_MATCH_THRESHOLD "
        f"({MATCHING_MATCH_THRESHOLD}) must satisfy 0 < review threshold <= match threshold <= 1"
    )
MATCHING_REVIEW_QUEUE_CAP = int(os.environ.get("MATCHING_REVIEW_QUEUE_CAP", "5000"))
MATCHING_DUCKDB_MEMORY_LIMIT = os.environ.get("MATCHING_DUCKDB_MEMORY_LIMIT", "2GB")
MATCHING_DUCKDB_THREADS = int(os.environ.get("MATCHING_DUCKDB_THREADS", "2"))
# Address -> UPRN (docs/addresses.md): a scored match below this goes to the data quality officer's queue
ADDRESS_MATCH_THRESHOLD = float(os.environ.get("ADDRESS_MATCH_THRESHOLD", "0.85"))
if not 0.5 <= ADDRESS_MATCH_THRESHOLD <= 1:
    raise ImproperlyConfigured(f"ADDRESS_MATCH_THRESHOLD ({ADDRESS_MATCH_THRESHOLD}) must be between 0.5 and 1")

# Casework outcomes (docs/casework.md): a closed case's outcomes are checked this many months after closure
CASEWORK_SUSTAIN_MONTHS = int(os.environ.get("CASEWORK_SUSTAIN_MONTHS", "6"))
if not 1 <= CASEWORK_SUSTAIN_MONTHS <= 36:
    raise ImproperlyConfigured(f"CASEWORK_SUSTAIN_MONTHS ({CASEWORK_SUSTAIN_MONTHS}) must be between 1 and 36")
# School terms as first-last month ("9-12,1-3,4-7": autumn Sep-Dec, spring Jan-Mar, summer Apr-Jul); a school
# year starts with the first term's first month
CASEWORK_TERM_MONTHS = os.environ.get("CASEWORK_TERM_MONTHS", "9-12,1-3,4-7")
# Defaults of the outcome measures' parameters (a need's own parameters win)
CASEWORK_ATTENDANCE_THRESHOLD = float(os.environ.get("CASEWORK_ATTENDANCE_THRESHOLD", "90"))
CASEWORK_ATTENDANCE_TERMS = int(os.environ.get("CASEWORK_ATTENDANCE_TERMS", "3"))
CASEWORK_OUTCOME_MONTHS = int(os.environ.get("CASEWORK_OUTCOME_MONTHS", "6"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Lockout is per account: an office behind one NAT address must not lock everyone out.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
