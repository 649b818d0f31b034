from django.urls import path

from apps.api.v1.messaging.views import CreditsView, DeliveryReportView, TopUpView

urlpatterns = [
    path("credits/", CreditsView.as_view(), name="credits"),
    path("credits/top-ups/", TopUpView.as_view(), name="credit-top-ups"),
    path("messaging/delivery-reports/<str:secret>/", DeliveryReportView.as_view(), name="messaging-delivery-reports"),
    # Without its secret: refused with a 401 that says what to register.
    path("messaging/delivery-reports/", DeliveryReportView.as_view(), name="messaging-delivery-reports-unkeyed"),
]
