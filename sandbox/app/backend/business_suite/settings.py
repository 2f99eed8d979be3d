"""Settings of the stand-in RevisBaliCRM backend, read from the environment like the real app.

The release is fixed when the image is built (business_suite/release.py). Only the Redis release
with REDIS_URL set uses Redis, for the cache and for the PgQueuer broker; the previous release
never touches Redis (it does not even have the libraries), whatever the environment says.
"""

import os

try:
    from business_suite.release import RELEASE
except ImportError:  # a checkout outside an image behaves as the previous release
    RELEASE = "memcached"

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = False
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

# Inside a container the Redis service is bs-redis; on the host (local dev) it is localhost.
REDIS_HOST = os.getenv("REDIS_HOST") or ("bs-redis" if os.path.exists("/.dockerenv") else "localhost")
REDIS_PORT = int(os.getenv("REDIS_PORT", "6379"))
REDIS_URL = os.getenv("REDIS_URL", "")
CACHE_KEY_PREFIX = os.getenv("CACHE_KEY_PREFIX", "revisbali")
PGQUEUE_CHANNEL = os.getenv("PGQUEUE_CHANNEL", "ch_pgqueuer")
USE_REDIS = RELEASE == "redis" and bool(REDIS_URL)
PGQUEUE_BROKER = "redis" if USE_REDIS else "sql"

if USE_REDIS:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "TIMEOUT": 300,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "CONNECTION_POOL_KWARGS": {"max_connections": 50, "retry_on_timeout": True},
                "SOCKET_CONNECT_TIMEOUT": 5,
                "SOCKET_TIMEOUT": 5,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
            "LOCATION": os.getenv("MEMCACHED_LOCATION", "memcached:11211"),
            "OPTIONS": {"connect_timeout": 5, "timeout": 5},
        }
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.getenv("DJANGO_LOG_LEVEL", "INFO")},
}
