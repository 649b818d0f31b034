from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView


class CurrentTenantSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.CharField()
    api_key = serializers.CharField(help_text="the name of the key used for this request")


class CurrentTenantView(APIView):
    """The tenant (academy) that the request's API key belongs to."""

    def get(self, request):
        tenant = request.tenant
        data = {"id": tenant.id, "name": tenant.name, "slug": tenant.slug, "api_key": request.auth.name}
        return Response(CurrentTenantSerializer(data).data)
