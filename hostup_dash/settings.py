"""Settings for hostup-dash, read from the environment (an optional .env file fills gaps)."""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.FileAwareEnv()
# The real environment wins over .env; .env is optional and git-ignored.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)


def _required(name: str, *, dev_default: str) -> str:
    """A setting production must provide; development falls back to a harmless default."""
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(f"The setting {name} is missing: set it in the environment or in .env (see README.md).")


SECRET_KEY = _required("SECRET_KEY", dev_default="dev-only-not-secret")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

HOSTUP_API_URL = _required("HOSTUP_API_URL", dev_default="http://127.0.0.1:8765")
HOSTUP_API_TOKEN = _required("HOSTUP_API_TOKEN", dev_default="sim-full-token")
HOSTUP_TIMEOUT = env.float("HOSTUP_TIMEOUT", default=10.0)
INVENTORY_MAX_AGE = env.int("INVENTORY_MAX_AGE", default=300)
# A person waiting on a page: reads give up sooner than writes (which keep HOSTUP_TIMEOUT).
HOSTUP_READ_TIMEOUT = env.float("HOSTUP_READ_TIMEOUT", default=5.0)
# Threads of one web process that may wait on HostUp at once; the rest answer "HostUp is slow" at once,
# so a HostUp that never answers leaves a thread for /healthz and every other page (make serve: 4 threads).
HOSTUP_MAX_WAITING = env.int("HOSTUP_MAX_WAITING", default=max(1, env.int("WEB_THREADS", default=4) - 1))
# A VPS page's live read of a state read this recently (seconds) shows the snapshot instead.
LIVE_STATE_MAX_AGE = env.int("LIVE_STATE_MAX_AGE", default=10)
# Live reads of HostUp one user's VPS page views may make per minute (counted in PostgreSQL, across workers).
LIVE_READS_PER_USER_MINUTE = env.int("LIVE_READS_PER_USER_MINUTE", default=30)

# --- background work (Procrastinate worker) ------------------------------------------
# The inventory pass runs this often; the state pass runs continuously within its share.
INVENTORY_SYNC_EVERY = env.int("INVENTORY_SYNC_EVERY", default=300)
# Share of HostUp's rate-limit window the state pass and bulk runs may use; the rest is for people.
STATE_PASS_SHARE = env.float("STATE_PASS_SHARE", default=0.8)
# A state read this recently is not read again yet, however small the fleet.
STATE_PASS_MIN_AGE = env.int("STATE_PASS_MIN_AGE", default=60)
# /metrics answers only with `Authorization: Bearer <METRICS_TOKEN>`; unset, it answers 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Signed checkpoints of the audit chain (README "Audit"): off without a key (PEM, PKCS#8, Ed25519); each
# is also written to the directory, meant for write-once or remote storage.
AUDIT_SIGNING_KEY_FILE = env.str("AUDIT_SIGNING_KEY_FILE", default="")
AUDIT_CHECKPOINT_EVERY = env.int("AUDIT_CHECKPOINT_EVERY", default=3600)
AUDIT_CHECKPOINT_DIR = env.str("AUDIT_CHECKPOINT_DIR", default="")
# HostUp's own audit log is imported this often (seconds); HostUp keeps only about 12 hours of it.
HOSTUP_EVENTS_EVERY = env.int("HOSTUP_EVENTS_EVERY", default=600)
# Every write needs a reason, not only a release (README "Change control").
REQUIRE_CHANGE_REASON = env.bool("REQUIRE_CHANGE_REASON", default=False)
# Four-eyes approval (README "Change control"): these actions, submitted on a VPS page, wait for a second
# person's approval instead of reaching HostUp (allocate, refresh_next_hop, release; empty: none do).
APPROVAL_REQUIRED_FOR = [
    name.strip() for name in env.list("APPROVAL_REQUIRED_FOR", default=["release"]) if name.strip()
]
# Seconds a change request waits for a decision before it expires (default one day).
APPROVAL_TTL = env.int("APPROVAL_TTL", default=24 * 3600)
# Outgoing webhooks (README "Webhooks"). The dashboard's address as its users reach it: links in messages start with it.
DASHBOARD_URL = env.str("DASHBOARD_URL", default="http://127.0.0.1:8000")
# Seconds a receiver has to answer one delivery attempt.
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=5.0)
# Seconds before a failed delivery's first retry; each next one waits twice as long, at most an hour.
WEBHOOK_RETRY_DELAY = env.float("WEBHOOK_RETRY_DELAY", default=30.0)
# Seconds a delivery is retried before it is marked failed (a day).
WEBHOOK_RETRY_FOR = env.int("WEBHOOK_RETRY_FOR", default=24 * 3600)

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # trigram index of the audit reason search (OpClass in an index)
    "django_htmx",
    "template_partials",
    "axes",
    "csp",
    "procrastinate.contrib.django",
    "hostup_dash.core",
    "hostup_dash.accounts",
    "hostup_dash.inventory",
    "hostup_dash.audit",
    "hostup_dash.checkpoints",
    "hostup_dash.ops",
    "hostup_dash.bulk",
    "hostup_dash.sso",
    "hostup_dash.trail",
    "hostup_dash.approvals",
    "hostup_dash.pools",
    "hostup_dash.notifications",
    "hostup_dash.simulator",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Re-checks an SSO session with the identity provider every OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS.
    "hostup_dash.sso.middleware.SsoSessionRefresh",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "hostup_dash.core.middleware.LoginRequiredHtmxMiddleware",
    # Last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hostup_dash.urls"
WSGI_APPLICATION = "hostup_dash.wsgi.application"

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
                "hostup_dash.accounts.context_processors.role",
            ],
        },
    },
]

# The dashboard and the worker connect as DATABASE_URL's least-privilege role; `migrate` and `db_roles` as the
# owner of the tables, MIGRATE_DATABASE_URL, in the same database (README "Production"). Unset: one user does both.
_database_url = env.str("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/hostup_dash")
DATABASES = {"default": env.db_url_config(_database_url)}
MIGRATE_DATABASE = env.db_url_config(env.str("MIGRATE_DATABASE_URL", default=_database_url))
if MIGRATE_DATABASE["NAME"] != DATABASES["default"]["NAME"]:
    raise ImproperlyConfigured("MIGRATE_DATABASE_URL must name the same database as DATABASE_URL (see README.md).")
# Never wrap requests in a transaction: an audit intent must be committed before the HostUp call.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Reuse connections between requests (0: a new one each request), unless DATABASE_URL says
# otherwise (`?conn_max_age=`); checked before reuse.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out user or address is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    # With LOCAL_LOGIN off, refuses a password login before the password is checked, but a break-glass account's.
    "hostup_dash.sso.backends.PasswordLoginGate",
    # ModelBackend, with the permissions and the role read in one query per request.
    "hostup_dash.accounts.backends.RoleBackend",
    # Single sign-on (README "Single sign-on"); answers nothing while OIDC_ISSUER is unset.
    "hostup_dash.sso.backends.OidcBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "inventory:vps-list"
LOGOUT_REDIRECT_URL = "login"

# --- single sign-on through OpenID Connect (README "Single sign-on"); off while OIDC_ISSUER is unset ---
# Endpoints and keys come from the issuer's /.well-known/openid-configuration, read on first use.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="")
OIDC_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
# Or OIDC_CLIENT_SECRET_FILE; stripped, as a secret file usually ends with a newline the provider would refuse.
OIDC_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="").strip()
OIDC_SCOPES = env.str("OIDC_SCOPES", default="openid email profile")
OIDC_ROLE_CLAIM = env.str("OIDC_ROLE_CLAIM", default="groups")
# Provider group -> role, e.g. ops-admins=admin,ops=operator,security=auditor,staff=viewer
# (spaces around the names are dropped: "ops-admins = admin, ops = operator" reads the same)
OIDC_ROLE_MAP = {group.strip(): role.strip() for group, role in env.dict("OIDC_ROLE_MAP", default={}).items()}
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="SSO")
# How long an SSO session goes before the provider is asked again whether the user may stay.
OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = env.int("OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS", default=15 * 60)
# Off: only break-glass accounts may log in with a password (at /accounts/login/?local=1).
LOCAL_LOGIN = env.bool("LOCAL_LOGIN", default=True)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Compressed by whitenoise from STATIC_ROOT (`collectstatic`, run by `make serve`). No manifest:
# file names stay stable, so tests and runserver need no collectstatic step.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 3600

# --- behind a reverse proxy, over HTTPS (README: "Production settings") ------------
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)  # trust the proxy's X-Forwarded-For for client IPs
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
_proxy_ssl_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])  # e.g. HTTP_X_FORWARDED_PROTO,https
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) if _proxy_ssl_header else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A session lasts one working day; a password change ends the others (Django's session hash).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=9 * 3600)

# No inline script or style anywhere: htmx is configured from a <meta> tag.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    },
}

# --- login throttling (django-axes) --------------------------------------------------
# Too many failures for one username, or from one address, lock further attempts for a while.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The same client address the audit log records.
AXES_CLIENT_IP_CALLABLE = "hostup_dash.core.http.client_ip"

# One JSON object per line: upstream calls and action outcomes carry structured fields.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "hostup_dash.core.logging.JsonFormatter"}},
    "filters": {"client_error_without_traceback": {"()": "hostup_dash.core.logging.ClientErrorWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Procrastinate logs every job start and end at INFO: three lines every 10 s from the tick alone.
        "procrastinate": {"level": env.str("WORKER_LOG_LEVEL", default="WARNING")},
        # Django's own console handler (DEBUG only) printed each of its lines again, as plain text.
        "django": {"handlers": [], "propagate": True},
        "django.request": {"filters": ["client_error_without_traceback"]},
    },
}
