from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from catalog import api as catalog_api
from evaluation import api as evaluation_api
from leaderboards import api as leaderboards_api
from leaderboards import export_api
from submissions import api as submissions_api

# The API docs pages keep their vendors' inline styles and data: images (scripts load from files).
docs_css = csp_update({"style-src": [UNSAFE_INLINE], "img-src": ["data:"], "worker-src": ["blob:"]})

app_name = "api"
urlpatterns = [
    path("questions/", catalog_api.QuestionListApi.as_view(), name="question-list"),
    path("questions/<int:pk>/", catalog_api.QuestionDetailApi.as_view(), name="question-detail"),
    path("model-entries/", submissions_api.ModelEntryListApi.as_view(), name="model-entry-list"),
    path("model-entries/<int:pk>/", submissions_api.ModelEntryDetailApi.as_view(), name="model-entry-detail"),
    path("answers/", submissions_api.AnswerListApi.as_view(), name="answer-list"),
    path("answers/bulk/", submissions_api.AnswerBulkApi.as_view(), name="answer-bulk"),
    path("answers/<int:pk>/", submissions_api.AnswerDetailApi.as_view(), name="answer-detail"),
    path("leaderboards/models/", leaderboards_api.ModelLeaderboardApi.as_view(), name="leaderboard-models"),
    path("leaderboards/validators/", leaderboards_api.ValidatorLeaderboardApi.as_view(), name="leaderboard-validators"),
    path("validators/<int:pk>/unjudged/", evaluation_api.UnjudgedApi.as_view(), name="validator-unjudged"),
    path("validators/<int:pk>/replay-unjudged/", evaluation_api.ReplayUnjudgedApi.as_view(),
         name="validator-replay-unjudged"),  # fmt: skip
    path("replays/<int:pk>/", evaluation_api.ReplayDetailApi.as_view(), name="replay-detail"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs_css(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
    path("redoc/", docs_css(SpectacularRedocView.as_view(url_name="api:schema")), name="redoc"),
    path("exports/", export_api.ExportListApi.as_view(), name="export-list"),
    path("exports/<int:pk>/", export_api.ExportDetailApi.as_view(), name="export-detail"),
    path("exports/<int:pk>/download/", export_api.ExportDownloadApi.as_view(), name="export-download"),
]
