"""Django + Django REST framework: the ORM on the shared `items` table, a ModelViewSet.

Entry points: `apps.django_drf.wsgi:application`, `apps.django_drf.asgi:application`; settings
`apps.django_drf.settings` (environment: FWBENCH_DB, FWBENCH_SECRET_KEY_FILE,
FWBENCH_ALLOWED_HOSTS, FWBENCH_SQLITE_BUSY_MS, FWBENCH_SQLITE_JOURNAL).
"""
