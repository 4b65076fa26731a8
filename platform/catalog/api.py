from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics

from catalog.models import Question, QuestionState
from catalog.serializers import QuestionSerializer


class QuestionApiFilter(filters.FilterSet):
    site = filters.CharFilter(field_name="site__slug")
    state = filters.ChoiceFilter(choices=QuestionState.choices)
    question_id = filters.CharFilter(field_name="external_id")
    tag = filters.CharFilter(method="filter_tag")

    class Meta:
        model = Question
        fields = ["site", "state", "category", "diamond", "source", "question_id", "tag"]

    def filter_tag(self, queryset, name, value):
        return queryset.with_tag(value.strip().lower())


@extend_schema_view(get=extend_schema(summary="List questions", tags=["questions"]))
class QuestionListApi(generics.ListAPIView):
    """Public questions (every state but draft), newest first; filter by site, state, tag…"""

    serializer_class = QuestionSerializer
    filterset_class = QuestionApiFilter
    queryset = Question.objects.public().select_related("site")


@extend_schema_view(get=extend_schema(summary="One question", tags=["questions"]))
class QuestionDetailApi(generics.RetrieveAPIView):
    serializer_class = QuestionSerializer
    queryset = Question.objects.public().select_related("site")
