from rest_framework import serializers

from catalog.models import Question, RetireReason


class QuestionSerializer(serializers.ModelSerializer):
    site = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    question_id = serializers.CharField(source="external_id", read_only=True)
    url = serializers.SerializerMethodField()
    link = serializers.CharField(read_only=True, help_text="The original post ('' if unknown).")
    retire_reason = serializers.ChoiceField(
        choices=RetireReason.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Question
        fields = [
            "id", "question_id", "source", "site", "title", "body", "category", "tags", "link",
            "licence", "attribution", "votes", "diamond", "comment_count", "state",
            "retire_reason", "created_at", "last_activity_at", "url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_url(self, question) -> str:
        request = self.context.get("request")
        path = f"/questions/{question.pk}/"
        return request.build_absolute_uri(path) if request else path
