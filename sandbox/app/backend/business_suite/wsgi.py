"""WSGI entry point served by gunicorn in bs-core."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "business_suite.settings")
application = get_wsgi_application()
