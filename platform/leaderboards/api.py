from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from leaderboards.selectors import RankStatus, model_leaderboard, validator_leaderboard
from leaderboards.views import LeaderboardFilter


class IntervalSerializer(serializers.Serializer):
    successes = serializers.IntegerField()
    trials = serializers.IntegerField()
    estimate = serializers.FloatField(allow_null=True)
    low = serializers.FloatField()
    high = serializers.FloatField()


class ModelRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(
        allow_null=True, help_text="Null unless `status` is `ranked`: entries whose intervals overlap share a rank."
    )
    status = serializers.ChoiceField(
        choices=RankStatus.choices,
        help_text="`tied`: every entry with expert-resolved answers ties (or only one has any), so none is ranked; "
        "`not_yet_reviewed`: no expert-resolved answer yet, so its verified-correct count says nothing yet.",
    )
    model_entry = serializers.IntegerField(source="entry.pk")
    name = serializers.CharField(source="entry.name")
    version = serializers.CharField(source="entry.version")
    display_name = serializers.CharField(source="entry.display_name")
    organisation = serializers.CharField(source="entry.organisation")
    submitted = serializers.IntegerField()
    validator_passed = serializers.IntegerField(source="passed")
    verified_correct = IntervalSerializer()
    expert_resolved = serializers.IntegerField(source="resolved")
    passed_confirmed = IntervalSerializer(source="confirmed")
    pass_rates = serializers.DictField(child=serializers.FloatField())
    provisional = serializers.BooleanField()


class ModelLeaderboardApi(APIView):
    """The model leaderboard (public): ranks with Wilson 95% intervals, ties where they overlap;
    entries without an expert-resolved answer come last, unranked (`status`)."""

    @extend_schema(
        summary="Model leaderboard", tags=["leaderboards"],
        parameters=[OpenApiParameter("site", str), OpenApiParameter("category", str), OpenApiParameter("diamond", bool)],
        responses=ModelRowSerializer(many=True),
    )  # fmt: skip
    def get(self, request):
        form = LeaderboardFilter(request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors)
        return Response(ModelRowSerializer(model_leaderboard(form.filters()), many=True).data)


class EstimateSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True)
    low = serializers.FloatField()
    high = serializers.FloatField()


class ConfusionSerializer(serializers.Serializer):
    true_positive = serializers.IntegerField(source="tp")
    false_positive = serializers.IntegerField(source="fp")
    false_negative = serializers.IntegerField(source="fn")
    true_negative = serializers.IntegerField(source="tn")


class ValidatorRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    validator = serializers.IntegerField(source="validator.pk")
    name = serializers.CharField(source="validator.name")
    config_hash = serializers.CharField()
    current_config = serializers.BooleanField(source="current")
    demo_judge = serializers.BooleanField(source="validator.demo_judge")
    judged = serializers.IntegerField()
    expert_resolved = serializers.IntegerField(source="counts.n")
    confusion = ConfusionSerializer(source="counts")
    abstained = serializers.IntegerField()
    precision = IntervalSerializer()
    recall = IntervalSerializer()
    f05 = EstimateSerializer()
    kappa = EstimateSerializer()
    auroc = EstimateSerializer()
    ece = serializers.FloatField(allow_null=True)
    scored = serializers.BooleanField()
    calls_per_answer = serializers.FloatField()
    tokens_per_answer = serializers.FloatField()
    provisional = serializers.BooleanField()


class ValidatorLeaderboardApi(APIView):
    """The validator leaderboard (public): each config against expert verdicts, 95% intervals."""

    @extend_schema(
        summary="Validator leaderboard", tags=["leaderboards"],
        parameters=[OpenApiParameter("site", str), OpenApiParameter("category", str), OpenApiParameter("diamond", bool)],
        responses=ValidatorRowSerializer(many=True),
    )  # fmt: skip
    def get(self, request):
        form = LeaderboardFilter(request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors)
        return Response(ValidatorRowSerializer(validator_leaderboard(form.filters()), many=True).data)
