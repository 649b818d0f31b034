from rest_framework import serializers

from apps.support.messaging.models import AlimtalkTemplate, CreditTransaction, MessageBatch, MessageType, Recipient
from apps.support.messaging.phones import placeholders


class RecipientInputField(serializers.Field):
    """A recipient: "010-1234-5678", or {"to": "010-1234-5678", "variables": {...}}."""

    default_error_messages = {"invalid": 'a recipient is a phone number string or {{"to": ..., "variables": {{...}}}}'}

    def to_internal_value(self, data):
        if isinstance(data, str):
            return {"to": data, "variables": {}}
        if isinstance(data, dict) and isinstance(data.get("to"), str):
            variables = data.get("variables") or {}
            if not isinstance(variables, dict):
                self.fail("invalid")
            return {"to": data["to"], "variables": variables}
        self.fail("invalid")

    def to_representation(self, value):
        return value


class SendRequestSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=MessageType.values)
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, default="")
    subject = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    template_id = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    variables = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, default=dict)
    sender = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)
    recipients = serializers.ListField(child=RecipientInputField(), allow_empty=True)


class RecipientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Recipient
        fields = ["id", "position", "raw_to", "to", "variables", "status", "charge", "status_code", "error",
                  "provider_message_id", "sent_at", "reported_at"]


class BatchSerializer(serializers.ModelSerializer):
    template_id = serializers.CharField(source="template.template_id", default="", read_only=True)
    cost = serializers.IntegerField(source="held_amount", read_only=True)

    class Meta:
        model = MessageBatch
        fields = ["id", "type", "status", "sender", "subject", "text", "template_id", "variables", "unit_price",
                  "recipient_count", "rejected_count", "cost", "idempotency_key", "created_by", "created_at",
                  "enqueued_at", "started_at", "finished_at", "error"]


class TransactionSerializer(serializers.ModelSerializer):
    batch_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = CreditTransaction
        fields = ["id", "kind", "amount", "held_delta", "balance_after", "held_after", "batch_id", "quantity", "memo",
                  "actor", "created_at"]


class TopUpSerializer(serializers.Serializer):
    tenant = serializers.CharField(required=False, help_text="slug or id of the tenant; default: the caller's")
    amount = serializers.IntegerField(min_value=1, max_value=1_000_000_000)
    memo = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class AlimtalkTemplateSerializer(serializers.ModelSerializer):
    variables = serializers.SerializerMethodField()

    class Meta:
        model = AlimtalkTemplate
        fields = ["id", "template_id", "pf_id", "name", "body", "variables", "created_at"]
        read_only_fields = ["id", "created_at"]

    def get_variables(self, template) -> list[str]:
        return placeholders(template.body)

    def validate_template_id(self, value):
        request = self.context["request"]
        clash = AlimtalkTemplate.objects.filter(tenant=request.tenant, template_id=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError("this tenant already has a template with this id")
        return value
