from django.conf import settings
from rest_framework import serializers

from common.nul import contains_nul
from submissions.generation import KEY_ENV_PREFIX, EndpointMisconfigured, check_endpoint_url
from submissions.models import Answer, ModelEntry

MAX_PARAMS_BYTES = 20_000


def reject_nul(value):
    if contains_nul(value):
        raise serializers.ValidationError("Text may not contain the NUL character (U+0000).")
    return value


class ModelEntrySerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    answer_count = serializers.IntegerField(read_only=True, required=False)
    endpoint_base_url = serializers.URLField(
        max_length=200, required=False, allow_blank=True,
        help_text="OpenAI-compatible base URL for generation jobs, e.g. http://host:8000/v1.",
    )  # fmt: skip
    generation_params = serializers.DictField(
        required=False, help_text="Sampling parameters used (temperature, max_tokens, …)."
    )

    class Meta:
        model = ModelEntry
        fields = [
            "id", "owner", "organisation", "name", "version", "display_name", "base_model",
            "provider", "generation_params", "system_prompt", "notes", "endpoint_base_url",
            "endpoint_model", "endpoint_key_env", "created_at", "updated_at", "answer_count",
        ]  # fmt: skip
        read_only_fields = ["id", "owner", "created_at", "updated_at", "answer_count"]
        validators = []  # uniqueness is the service's rule, with a clear 409

    def validate_generation_params(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        if len(str(value)) > MAX_PARAMS_BYTES:
            raise serializers.ValidationError(f"At most {MAX_PARAMS_BYTES:,} characters.")
        return reject_nul(value)

    def validate_endpoint_base_url(self, value):
        """The outbound policy: http(s), a public address (or one the operator allow-listed)."""
        if value:
            try:
                check_endpoint_url(value, settings.QUORUM_GENERATION_ALLOWED_HOSTS)
            except EndpointMisconfigured as exc:
                raise serializers.ValidationError(str(exc)) from None
        return value

    def validate_endpoint_key_env(self, value):
        if value and not (value.startswith(KEY_ENV_PREFIX) and value.replace("_", "").isalnum()):
            raise serializers.ValidationError(
                f"The name of an environment variable starting with {KEY_ENV_PREFIX} (set by the "
                "operator on the workers), never the key itself."
            )
        return value


class AnswerItemSerializer(serializers.Serializer):
    """One line of a UQ answer file."""

    question_id = serializers.CharField(help_text="The question's id in its source (UQ's question_id).")
    answer = serializers.CharField(
        help_text="The answer. Text before a closing </think> is kept as the reasoning trace."
    )
    metadata = serializers.DictField(required=False, help_text="Anything you want kept with it.",
                                     validators=[reject_nul])  # fmt: skip
    model_name = serializers.CharField(required=False, help_text="Ignored (the entry decides).")


class BulkAnswerSerializer(serializers.Serializer):
    model_entry = serializers.IntegerField(help_text="Your model entry's id.")
    source = serializers.CharField(
        required=False, help_text="Question source, when an id exists in several (e.g. 'uq')."
    )
    answers = AnswerItemSerializer(many=True, help_text="Up to 1,000 answers, all or nothing.")


class BulkResultItemSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    question_id = serializers.CharField()
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "unchanged"])


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    answers = BulkResultItemSerializer(many=True)


class AnswerValidationSerializer(serializers.Serializer):
    """One validator's work on the answer: its state and, once recorded, its verdict."""

    validator = serializers.CharField(source="validator.name")
    config_hash = serializers.CharField()
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    decision = serializers.CharField(source="result.decision", allow_null=True, default=None)
    score = serializers.FloatField(source="result.score", allow_null=True, default=None)
    calls = serializers.IntegerField(source="result.calls", allow_null=True, default=None)
    prompt_tokens = serializers.IntegerField(source="result.prompt_tokens", allow_null=True, default=None)
    completion_tokens = serializers.IntegerField(source="result.completion_tokens", allow_null=True, default=None)


class AnswerSerializer(serializers.ModelSerializer):
    question_id = serializers.CharField(source="question.external_id", read_only=True)
    question = serializers.PrimaryKeyRelatedField(read_only=True)
    model_entry = serializers.PrimaryKeyRelatedField(read_only=True)
    validations = AnswerValidationSerializer(many=True, read_only=True)

    class Meta:
        model = Answer
        fields = [
            "id", "question", "question_id", "model_entry", "text", "reasoning", "content_hash",
            "metadata", "submitted_at", "validation_state", "review_state", "validations",
        ]  # fmt: skip
        read_only_fields = fields
