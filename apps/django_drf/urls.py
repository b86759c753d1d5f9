from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.django_drf import views

# "/?": "/items" and "/items/" (and each item's two forms) answer directly, no redirect.
router = SimpleRouter()
router.trailing_slash = "/?"
router.register("items", views.ItemViewSet, basename="item")

urlpatterns = [
    path("hello", views.hello),
    path("echo", views.echo),
    path("get", views.get),
    path("post", views.post),
    path("healthz", views.healthz),
    *router.urls,
]

handler404 = "apps.django_drf.rest.not_found"
handler500 = "apps.django_drf.rest.server_error"
