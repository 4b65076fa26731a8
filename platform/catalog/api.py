from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics

from catalog.filters import SearchFilter
from catalog.models import Question, QuestionState
from catalog.serializers import QuestionSerializer


class QuestionApiFilter(filters.FilterSet):
    q = SearchFilter(
        max_length=200,
        help_text='Full-text search, as in the search box: words, "a phrase", -exclude, or.',
    )
    site = filters.CharFilter(field_name="site__slug")
    state = filters.ChoiceFilter(choices=QuestionState.choices)
    question_id = filters.CharFilter(field_name="external_id")
    tag = filters.CharFilter(method="filter_tag")

    class Meta:
        model = Question
        fields = ["q", "site", "state", "category", "diamond", "source", "question_id", "tag"]

    def filter_tag(self, queryset, name, value):
        return queryset.with_tag(value.strip().lower())


@extend_schema_view(get=extend_schema(summary="List questions", tags=["questions"]))
class QuestionListApi(generics.ListAPIView):
    """Public questions (every state but draft), newest first; filter by site, state, tag, and
    search with `q` (the search box's syntax; results stay in id order, not ranked)."""

    serializer_class = QuestionSerializer
    filterset_class = QuestionApiFilter
    queryset = Question.objects.public().select_related("site")


@extend_schema_view(get=extend_schema(summary="One question", tags=["questions"]))
class QuestionDetailApi(generics.RetrieveAPIView):
    serializer_class = QuestionSerializer
    queryset = Question.objects.public().select_related("site")
