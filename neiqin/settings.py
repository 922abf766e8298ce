"""Neiqin settings, read from the environment.

NEIQIN_HOME          data folder (default ./var): SQLite file, generated keys, uploads, job queue
NEIQIN_DATABASE_URL  unset -> SQLite under NEIQIN_HOME; postgres://user:pass@host:port/name for PostgreSQL
NEIQIN_SECRET_KEY    Django secret key (generated into NEIQIN_HOME on first use when unset)
NEIQIN_FIELD_KEY     Fernet key(s) for field encryption, comma separated, newest first
                     (generated into NEIQIN_HOME on first use when unset)
NEIQIN_REDIS_URL     optional: Redis for the job queue and cache
NEIQIN_PRODUCTION    "1" turns on production hardening (HTTPS cookies, HSTS, DEBUG off checks)
NEIQIN_DEBUG         "1" for development error pages
NEIQIN_BASE_URL      the address users open (links in e-mails), default http://127.0.0.1:8000
NEIQIN_EMAIL_*       notification e-mail: BACKEND (default: console), HOST, PORT, USER, PASSWORD,
                     USE_TLS / USE_SSL ("1"), and NEIQIN_FROM_EMAIL
"""

from __future__ import annotations

import os
from pathlib import Path

from neiqin.core.config import database_from_url, ensure_secret_file

BASE_DIR = Path(__file__).resolve().parent
NEIQIN_HOME = Path(os.environ.get("NEIQIN_HOME", "var")).resolve()
NEIQIN_HOME.mkdir(parents=True, exist_ok=True)

PRODUCTION = os.environ.get("NEIQIN_PRODUCTION") == "1"
DEBUG = os.environ.get("NEIQIN_DEBUG") == "1" and not PRODUCTION

SECRET_KEY = os.environ.get("NEIQIN_SECRET_KEY") or ensure_secret_file(NEIQIN_HOME / "secret.key", "django")
NEIQIN_FIELD_KEYS = [
    k.strip()
    for k in (os.environ.get("NEIQIN_FIELD_KEY") or ensure_secret_file(NEIQIN_HOME / "field.key", "fernet")).split(",")
    if k.strip()
]

ALLOWED_HOSTS = [h for h in os.environ.get("NEIQIN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("NEIQIN_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "django_htmx",
    "axes",
    "huey.contrib.djhuey",
    "neiqin.core",
    "neiqin.accounts",
    "neiqin.customers",
    "neiqin.catalog",
    "neiqin.stock",
    "neiqin.sales",
    "neiqin.web",
    "neiqin.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "neiqin.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "neiqin.core.middleware.ChosenLanguageMiddleware",
    "neiqin.accounts.middleware.SessionLimitsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "neiqin.urls"
WSGI_APPLICATION = "neiqin.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "neiqin.web.context_processors.shell",
            ],
        },
    }
]

DATABASES = {"default": database_from_url(os.environ.get("NEIQIN_DATABASE_URL"), NEIQIN_HOME)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Login throttling (RELIABILITY S6): lock after 5 failures per user + IP; locked attempts
# are refused before any password hashing.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked.html"
AXES_VERBOSE = False

# Sessions (RELIABILITY S5): 30 minutes idle, 12 hours absolute.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_SECONDS = 12 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Vendored front-end libraries (scripts/vendor_assets.py) live in neiqin/static/vendor.
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = NEIQIN_HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": NEIQIN_HOME / "files"},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = NEIQIN_HOME / "files"

# Uploads: refuse big bodies before parsing (RELIABILITY R14).
NEIQIN_MAX_UPLOAD_BYTES = int(os.environ.get("NEIQIN_MAX_UPLOAD_BYTES", 20 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Content Security Policy (django-csp 4): no inline scripts, no third-party origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("NEIQIN_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Background jobs: huey on SQLite by default, Redis when configured.
REDIS_URL = os.environ.get("NEIQIN_REDIS_URL")
HUEY = {
    "name": "neiqin",
    "immediate": os.environ.get("NEIQIN_HUEY_IMMEDIATE") == "1",
    "consumer": {"workers": 2, "worker_type": "thread"},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(NEIQIN_HOME / "jobs.sqlite3")})

EMAIL_BACKEND = os.environ.get("NEIQIN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("NEIQIN_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("NEIQIN_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("NEIQIN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("NEIQIN_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("NEIQIN_EMAIL_USE_TLS") == "1"
EMAIL_USE_SSL = os.environ.get("NEIQIN_EMAIL_USE_SSL") == "1"
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("NEIQIN_FROM_EMAIL", "neiqin@localhost")
NEIQIN_BASE_URL = os.environ.get("NEIQIN_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "file": {
            "class": "logging.handlers.RotatingFileHandler",
            "filename": str(NEIQIN_HOME / "neiqin.log"),
            "maxBytes": 10 * 1024 * 1024,
            "backupCount": 5,
            "formatter": "plain",
            "encoding": "utf-8",
        },
    },
    "root": {"handlers": ["console", "file"], "level": os.environ.get("NEIQIN_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # axes logs every successful login reset at INFO; failures and lock-outs are WARNING.
        "axes": {"level": "WARNING"},
        "huey": {"level": "INFO", "handlers": ["console", "file"], "propagate": False},
    },
}

NINJA_PAGINATION_MAX_LIMIT = 200

# Business settings (editable defaults; later issues move the ones clerks tune into the DB).
NEIQIN_COMPANY_NAME = os.environ.get("NEIQIN_COMPANY_NAME", "涵瑞建筑装饰有限公司")
# The seller's particulars printed on contracts and quotations (NEIQIN_COMPANY_<KEY>); each can
# still be edited on a draft contract. The defaults describe the demo company.
NEIQIN_COMPANY = {
    "name": NEIQIN_COMPANY_NAME,
    "address": os.environ.get("NEIQIN_COMPANY_ADDRESS", "湖南省长沙市岳麓区麓谷大道 627 号"),
    "bank": os.environ.get("NEIQIN_COMPANY_BANK", "中国建设银行长沙麓谷支行"),
    "account": os.environ.get("NEIQIN_COMPANY_ACCOUNT", "4305 0167 3608 0000 1234"),
    "tax_id": os.environ.get("NEIQIN_COMPANY_TAX_ID", "91430100MA4L7X2Q5T"),
    "phone": os.environ.get("NEIQIN_COMPANY_PHONE", "0731-8888 6666"),
    "fax": os.environ.get("NEIQIN_COMPANY_FAX", "0731-8888 6667"),
    "representative": os.environ.get("NEIQIN_COMPANY_REPRESENTATIVE", ""),
}
NEIQIN_HANDOVER_HOURS = int(os.environ.get("NEIQIN_HANDOVER_HOURS", 24))
NEIQIN_POOL_RETURN_DAYS = int(os.environ.get("NEIQIN_POOL_RETURN_DAYS", 90))
