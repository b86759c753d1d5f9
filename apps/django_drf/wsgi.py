"""WSGI entry point: `apps.django_drf.wsgi:application`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.django_drf.settings")

application = get_wsgi_application()
