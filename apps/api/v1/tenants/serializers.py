from rest_framework import serializers

from apps.core.models import ApiKey, Tenant


class CurrentTenantSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.CharField()
    api_key = serializers.CharField(help_text="the name of the key used for this request")


class ApiKeySerializer(serializers.ModelSerializer):
    """A key as listed: never its secret, which exists only in the creating response."""

    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "is_staff", "is_active", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = fields


class NewApiKeySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class IssuedApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text="the key itself: shown in this response only")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class TenantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = ["id", "name", "slug", "is_active", "created_at"]
        read_only_fields = ["id", "is_active", "created_at"]


class NewTenantSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=64)
    key_name = serializers.CharField(max_length=100, default="default",
                                     help_text="the name of the tenant's first API key")

    def validate_slug(self, slug):
        if Tenant.objects.filter(slug=slug).exists():
            raise serializers.ValidationError(f"a tenant with slug {slug!r} exists")
        return slug


class CreatedTenantSerializer(TenantSerializer):
    api_key = IssuedApiKeySerializer(read_only=True)

    class Meta(TenantSerializer.Meta):
        fields = [*TenantSerializer.Meta.fields, "api_key"]
