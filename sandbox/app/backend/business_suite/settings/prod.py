"""Production settings (the image's DJANGO_SETTINGS_MODULE), shaped like the real app's prod.py.

Cache: the Redis release with REDIS_URL set uses django-redis at REDIS_URL (the real app's Redis-era
settings); otherwise PyMemcacheCache at MEMCACHED_HOST, port 11211 appended, as the memcached-era prod.py
reads it. Logs also go to /logs/django.log (bs-core) or /logs/task_worker.log (bs-worker), per COMPONENT,
like the real app's, when /logs is mounted.
"""

import copy
import os

from .base import *  # noqa: F403
from .base import CACHE_KEY_PREFIX, LOGGING, REDIS_URL, USE_REDIS

MEDIA_ROOT = os.getenv("MEDIA_ROOT", "/media")
MEDIA_URL = os.getenv("MEDIA_URL", "/media/")
BACKUPS_ROOT = os.getenv("BACKUPS_ROOT", "/backups")
STATIC_ROOT = "/staticfiles/"

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
            "LOCATION": os.getenv("MEMCACHED_HOST", "memcached") + ":11211",
            "TIMEOUT": 300,
            "OPTIONS": {"connect_timeout": 5, "timeout": 5},
        }
    }

COMPONENT = os.getenv("COMPONENT", "backend")
LOG_FILE_PATH = "/logs/task_worker.log" if COMPONENT == "task_worker" else "/logs/django.log"
LOGGING = copy.deepcopy(LOGGING)
if os.path.isdir(os.path.dirname(LOG_FILE_PATH)):
    LOGGING["handlers"]["file"] = {"class": "logging.FileHandler", "filename": LOG_FILE_PATH, "formatter": "plain"}
    LOGGING["root"]["handlers"] = ["console", "file"]
