from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import problem
from api.filters import IdFilter
from api.idempotency import IdempotentPostMixin
from api.permissions import IsBuilder, TokenScopePermission
from submissions import selectors, services
from submissions.models import Answer, ModelEntry, ReviewState, ValidationState
from submissions.serializers import (
    AnswerSerializer,
    BulkAnswerSerializer,
    BulkResultSerializer,
    ModelEntrySerializer,
)

BUILDER = [TokenScopePermission, IsBuilder]
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="Retrying with the same key returns the first response instead of acting twice.",
)  # fmt: skip
PROBLEM = OpenApiResponse(description="A JSON problem (RFC 9457) with `detail` and `errors`.")
IDEMPOTENCY_MISMATCH = OpenApiResponse(description="The Idempotency-Key was used for another request.")


@extend_schema_view(
    get=extend_schema(summary="List your model entries", tags=["model entries"]),
    post=extend_schema(
        summary="Register a model entry", tags=["model entries"], parameters=[IDEMPOTENCY_HEADER],
        responses={201: ModelEntrySerializer, 400: PROBLEM, 409: PROBLEM, 422: IDEMPOTENCY_MISMATCH},
    ),
)  # fmt: skip
class ModelEntryListApi(IdempotentPostMixin, generics.ListAPIView):
    serializer_class = ModelEntrySerializer
    permission_classes = BUILDER
    queryset = ModelEntry.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return selectors.model_entries_visible_to(self.request.user)

    def post_once(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.model_entry_create(owner=request.user, **serializer.validated_data)
        entry = self.get_queryset().get(pk=entry.pk)  # with its answer count
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(summary="One of your model entries", tags=["model entries"]),
    patch=extend_schema(
        summary="Update a model entry", tags=["model entries"],
        responses={200: ModelEntrySerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    ),
)  # fmt: skip
class ModelEntryDetailApi(generics.RetrieveAPIView):
    serializer_class = ModelEntrySerializer
    permission_classes = BUILDER
    queryset = ModelEntry.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return selectors.model_entries_visible_to(self.request.user)

    def patch(self, request, pk):
        entry = get_object_or_404(self.get_queryset().filter(owner=request.user), pk=pk)
        serializer = self.get_serializer(entry, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        entry = services.model_entry_update(entry=entry, **serializer.validated_data)
        return Response(self.get_serializer(self.get_object()).data)


@extend_schema(
    summary="Submit answers in bulk", tags=["answers"], parameters=[IDEMPOTENCY_HEADER],
    request=BulkAnswerSerializer,
    responses={201: BulkResultSerializer, 200: BulkResultSerializer, 400: PROBLEM, 404: PROBLEM,
               409: PROBLEM, 413: PROBLEM, 422: IDEMPOTENCY_MISMATCH, 429: PROBLEM},
    description=(
        "All or nothing: if any answer is invalid, nothing is stored and every invalid item is "
        "listed with its index, field and reason. Sending the same answer again is a success "
        "(`unchanged`); a different answer for the same entry and question is a 409."
    ),
)  # fmt: skip
class AnswerBulkApi(IdempotentPostMixin, APIView):
    permission_classes = BUILDER

    def post_once(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        entry_id = data.get("model_entry")
        if isinstance(entry_id, bool) or not isinstance(entry_id, int):
            raise ValidationError({"model_entry": ["Required: the id of your model entry."]})
        entry = selectors.model_entries_visible_to(request.user).filter(owner=request.user, pk=entry_id).first()
        if entry is None:
            return problem(404, f"You have no model entry {entry_id}.")
        source = data.get("source")
        if source is not None and not isinstance(source, str):
            raise ValidationError({"source": ["Must be a string."]})
        outcome = services.answer_submit_bulk(entry=entry, raw_items=data.get("answers"), source=source)
        body = {"created": outcome.created, "unchanged": outcome.unchanged, "answers": outcome.answers}
        return Response(body, status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK)


class AnswerApiFilter(filters.FilterSet):
    validation_state = filters.ChoiceFilter(choices=ValidationState.choices)
    review_state = filters.ChoiceFilter(choices=ReviewState.choices)
    question_id = filters.CharFilter(field_name="question__external_id")
    model_entry = IdFilter(field_name="model_entry_id")
    question = IdFilter(field_name="question_id")

    class Meta:
        model = Answer
        fields = ["model_entry", "question", "question_id", "validation_state", "review_state"]


@extend_schema_view(get=extend_schema(summary="List your answers", tags=["answers"]))
class AnswerListApi(generics.ListAPIView):
    serializer_class = AnswerSerializer
    permission_classes = BUILDER
    queryset = Answer.objects.none()  # for the schema; requests use get_queryset
    filterset_class = AnswerApiFilter

    def get_queryset(self):
        return selectors.answers_visible_to(self.request.user)


@extend_schema_view(get=extend_schema(summary="One answer with its status", tags=["answers"]))
class AnswerDetailApi(generics.RetrieveAPIView):
    serializer_class = AnswerSerializer
    permission_classes = BUILDER
    queryset = Answer.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return selectors.answers_visible_to(self.request.user)
