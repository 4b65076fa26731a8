"""Exports over the API: request one, follow it, download it (your own exports only)."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import TokenScopePermission
from catalog.models import Site
from leaderboards import services
from leaderboards.export_views import export_file_response
from leaderboards.models import Export, ExportFormat, ExportScope, ExportTable

PROBLEM = OpenApiResponse(description="A JSON problem (RFC 9457) with `detail` and `errors`.")
SIGNED_IN = [TokenScopePermission, IsAuthenticated]


class ExportRequestSerializer(serializers.Serializer):
    tables = serializers.ListField(child=serializers.ChoiceField(choices=ExportTable.choices), min_length=1,
                                   default=ExportTable.values)  # fmt: skip
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    scope = serializers.ChoiceField(choices=ExportScope.choices, default=ExportScope.PUBLIC,
                                    help_text="`full` (drafts and reviews in progress) is for curators.")  # fmt: skip
    site = serializers.SlugRelatedField(slug_field="slug", queryset=Site.objects.all(), required=False,
                                        allow_null=True, help_text="A site's slug: only its questions.")  # fmt: skip
    since = serializers.DateTimeField(required=False, allow_null=True,
                                      help_text="Only rows created (reviews: changed) since.")  # fmt: skip


class ExportSerializer(serializers.ModelSerializer):
    site = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    percent = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = ("id", "status", "tables", "format", "scope", "site", "since", "rows_done", "rows_total",
                  "percent", "row_counts", "file_size", "sha256", "error", "created_at", "started_at",
                  "finished_at", "download_url")  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, export: Export) -> str | None:
        if not export.is_downloadable:
            return None
        return self.context["request"].build_absolute_uri(reverse("api:export-download", args=[export.pk]))


def own_exports(request):
    return Export.objects.filter(requested_by=request.user).select_related("site")


@extend_schema_view(
    get=extend_schema(summary="List your exports", tags=["exports"]),
    post=extend_schema(
        summary="Request an export", tags=["exports"], request=ExportRequestSerializer,
        responses={202: ExportSerializer, 400: PROBLEM, 409: PROBLEM},
        description=(
            "Queued and written by a worker: poll the export until `status` is `succeeded`, then "
            "fetch `download_url` (a zip with one file per table, a dataset card and the licences). "
            "One export per user runs at a time (409 otherwise)."
        ),
    ),
)  # fmt: skip
class ExportListApi(generics.ListAPIView):
    serializer_class = ExportSerializer
    permission_classes = SIGNED_IN
    queryset = Export.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return own_exports(self.request)

    def post(self, request):
        serializer = ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        export = services.export_request(user=request.user, **serializer.validated_data)
        export = own_exports(request).get(pk=export.pk)
        return Response(self.get_serializer(export).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(get=extend_schema(summary="One of your exports: status, progress, download", tags=["exports"]))
class ExportDetailApi(generics.RetrieveAPIView):
    serializer_class = ExportSerializer
    permission_classes = SIGNED_IN
    queryset = Export.objects.none()  # for the schema; requests use get_queryset

    def get_queryset(self):
        return own_exports(self.request)


class ExportDownloadApi(APIView):
    permission_classes = SIGNED_IN

    @extend_schema(
        summary="Download a finished export (zip)", tags=["exports"],
        responses={(200, "application/zip"): OpenApiTypes.BINARY, 404: PROBLEM},
    )  # fmt: skip
    def get(self, request, pk: int):
        return export_file_response(get_object_or_404(own_exports(request), pk=pk))
