"""`Idempotency-Key` on POST: a retried request gets the first response, never a second effect."""

import hashlib
import json

from django.db import IntegrityError, transaction
from rest_framework.response import Response

from api.errors import problem
from submissions.models import IdempotencyRecord

MAX_KEY_LENGTH = 200


def _fingerprint(request) -> str:
    payload = json.dumps([request.method, request.path, request.data], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


class IdempotentPostMixin:
    """Views define `post_once(request, ...)`; this mixin makes their POST idempotent by key."""

    def post(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return self.post_once(request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH:
            return problem(400, f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters.")
        fingerprint = _fingerprint(request)
        stored = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
        if stored is not None:
            return self._replay(stored, fingerprint)
        try:
            response = self.post_once(request, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 — DRF turns domain errors into responses
            response = self.handle_exception(exc)
        if response.status_code < 500 and response.status_code != 429:
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.create(
                        user=request.user, key=key, fingerprint=fingerprint,
                        status_code=response.status_code, body=response.data,
                    )  # fmt: skip
            except IntegrityError:
                pass  # a concurrent request with the same key stored its response first
        return response

    @staticmethod
    def _replay(stored: IdempotencyRecord, fingerprint: str) -> Response:
        if stored.fingerprint != fingerprint:
            return problem(
                422, "This Idempotency-Key was already used for a different request; "
                "use a new key for a new request."
            )  # fmt: skip
        response = Response(stored.body, status=stored.status_code)
        response["Idempotent-Replayed"] = "true"
        return response
