from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Stable pages over growing tables: `?cursor=…`, `?page_size=` up to 500."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 500
