"""Settings every environment shares, read from the environment like the real app's base settings.

The release is what the image installed (sandbox/images/app/Dockerfile): the Redis release is the one with
django-redis. It cannot live in the code, since the host's ./backend is bind-mounted over the image's code
and both releases run the same checkout. Only the Redis release with REDIS_URL set uses Redis, for the cache
(prod) and for the PgQueuer broker; the previous release never touches Redis (it does not even have the
libraries), whatever the environment says.
"""

import importlib.util
import os

RELEASE = "redis" if importlib.util.find_spec("django_redis") else "memcached"

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
# The tests reach bs-core at its dockernet address; the real prod list (domains, bs-core) would refuse that.
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["business_suite"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "business_suite.urls"
WSGI_APPLICATION = "business_suite.wsgi.application"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": os.getenv("DB_HOST", "db"),
        "PORT": os.getenv("DB_PORT", "5432"),
        "NAME": os.getenv("DB_NAME", "business_suite"),
        "USER": os.getenv("DB_USER", "business_suite"),
        "PASSWORD": os.getenv("DB_PASS", ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}

# As in the real base settings: a local-memory cache; prod picks the shared one.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Inside a container the Redis service is bs-redis; on the host (local dev) it is localhost.
REDIS_HOST = os.getenv("REDIS_HOST") or ("bs-redis" if os.path.exists("/.dockerenv") else "localhost")
REDIS_PORT = int(os.getenv("REDIS_PORT", "6379"))
REDIS_URL = os.getenv("REDIS_URL", "")
CACHE_KEY_PREFIX = os.getenv("CACHE_KEY_PREFIX", "revisbali")
PGQUEUE_CHANNEL = os.getenv("PGQUEUE_CHANNEL", "ch_pgqueuer")
USE_REDIS = RELEASE == "redis" and bool(REDIS_URL)
PGQUEUE_BROKER = "redis" if USE_REDIS else "sql"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.getenv("DJANGO_LOG_LEVEL", "INFO")},
}
