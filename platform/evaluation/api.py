"""Curators' validation API: how many answers a config has not judged, and the replay of them."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import problem
from api.permissions import IsCurator, TokenScopePermission
from common.errors import DomainError
from evaluation import selectors, services
from evaluation.models import Replay, ValidatorConfig

PROBLEM = OpenApiResponse(description="A JSON problem (RFC 9457) with `detail`.")
CURATORS = [TokenScopePermission, IsAuthenticated, IsCurator]


class UnjudgedSerializer(serializers.Serializer):
    validator = serializers.IntegerField(help_text="The validator config's id.")
    name = serializers.CharField()
    config_hash = serializers.CharField()
    is_primary = serializers.BooleanField()
    unjudged = serializers.IntegerField(
        help_text="Answers of its sites nothing will judge under its current hash (no validation, "
        "or a cancelled one): what a replay of the unjudged would queue."
    )
    replay_url = serializers.URLField(help_text="POST here to replay them.")


class ReplaySerializer(serializers.ModelSerializer):
    validator = serializers.PrimaryKeyRelatedField(read_only=True)
    done = serializers.SerializerMethodField(help_text="Validations with a verdict or an error.")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Replay
        fields = ("id", "validator", "status", "filters", "total", "done", "created_at", "finished_at", "url")
        read_only_fields = fields

    def get_done(self, replay: Replay) -> int:
        return selectors.replay_done_count(replay)

    def get_url(self, replay: Replay) -> str:
        return self.context["request"].build_absolute_uri(reverse("api:replay-detail", args=[replay.pk]))


class UnjudgedApi(APIView):
    permission_classes = CURATORS

    @extend_schema(
        summary="How many answers a validator config has not judged", tags=["validation"],
        responses={200: UnjudgedSerializer, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM},
    )  # fmt: skip
    def get(self, request, pk: int):
        validator = get_object_or_404(ValidatorConfig, pk=pk)
        data = {
            "validator": validator.pk, "name": validator.name, "config_hash": validator.config_hash,
            "is_primary": validator.is_primary, "unjudged": selectors.unjudged_count(validator),
            "replay_url": request.build_absolute_uri(reverse("api:validator-replay-unjudged", args=[pk])),
        }  # fmt: skip
        return Response(UnjudgedSerializer(data).data)


class ReplayUnjudgedApi(APIView):
    permission_classes = CURATORS

    @extend_schema(
        summary="Replay a validator config over the answers it has not judged", tags=["validation"],
        request=None, responses={202: ReplaySerializer, 200: ReplaySerializer, 401: PROBLEM, 403: PROBLEM,
                                 404: PROBLEM, 409: PROBLEM},
        description=(
            "Queues the unjudged answers (see the GET beside it) as one replay: 202 with the new replay. "
            "Asked again while that replay runs and nothing new is unjudged: 200 with the same replay. "
            "Nothing to replay and none running: 409. Follow the replay's `url` for its progress."
        ),
    )  # fmt: skip
    def post(self, request, pk: int):
        validator = get_object_or_404(ValidatorConfig, pk=pk)
        try:
            replay, created = services.replay_unjudged_start(validator=validator, actor=request.user)
        except DomainError as exc:
            return problem(status.HTTP_409_CONFLICT, str(exc))
        code = status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK
        return Response(ReplaySerializer(replay, context={"request": request}).data, status=code)


class ReplayDetailApi(APIView):
    permission_classes = CURATORS

    @extend_schema(summary="A replay: status and progress", tags=["validation"],
                   responses={200: ReplaySerializer, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM})  # fmt: skip
    def get(self, request, pk: int):
        replay = get_object_or_404(Replay, pk=pk)
        return Response(ReplaySerializer(replay, context={"request": request}).data)
