from django.urls import path

from business_suite import views

urlpatterns = [
    path("healthz", views.healthz),
    path("api/cache/roundtrip", views.cache_roundtrip),
    path("api/jobs", views.jobs),
]
