"""The review benchmark's reference, served by the same gunicorn: a view doing one upsert."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import include, path

from reviews.models import Review
from submissions.models import Answer


@login_required
def upsert(request, pk):
    owner_id = Answer.objects.values_list("model_entry__owner_id", flat=True).get(pk=pk)
    Review.objects.bulk_create(
        [Review(answer_id=pk, expert=request.user, answer_owner_id=owner_id, verdict=request.POST["verdict"],
                confidence=int(request.POST["confidence"]), rationale=request.POST["rationale"])],
        update_conflicts=True, unique_fields=["answer", "expert"],
        update_fields=["verdict", "confidence", "rationale", "updated_at"],
    )  # fmt: skip
    return redirect("/")


urlpatterns = [path("bench/upsert/<int:pk>/", upsert), path("", include("config.urls"))]
