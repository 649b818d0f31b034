"""The v1 router: each domain's viewsets register here."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter(trailing_slash=True)
