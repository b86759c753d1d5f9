from django.apps import AppConfig


class DjangoDRFConfig(AppConfig):
    name = "apps.django_drf"
    label = "django_drf"
    default_auto_field = "django.db.models.AutoField"
