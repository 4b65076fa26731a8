import json

from django.conf import settings
from django.http import HttpResponse


class ApiRequestSizeLimitMiddleware:
    """Answer 413 with a JSON problem before reading an oversized API request body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = settings.QUORUM_MAX_API_REQUEST_BYTES
            if length > limit:
                body = {
                    "type": "about:blank", "title": "Request too large", "status": 413,
                    "detail": f"The request body is {length:,} bytes; the limit is {limit:,}. "
                              "Split the submission into smaller batches.",
                }  # fmt: skip
                return HttpResponse(json.dumps(body), status=413, content_type="application/problem+json")
        return self.get_response(request)
