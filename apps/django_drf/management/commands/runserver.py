"""`runserver` that reads chunked request bodies (see `apps.django_drf.devserver`).

An installed app's command of the same name takes the place of Django's own, as
django.contrib.staticfiles does for this one; options and behaviour are otherwise Django's.
"""

from django.core.management.commands import runserver

from apps.django_drf.devserver import WSGIServer


class Command(runserver.Command):
    server_cls = WSGIServer
