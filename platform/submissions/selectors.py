from django.db.models import Count, Prefetch, QuerySet

from accounts.models import User
from submissions.models import Answer, GenerationJob, ModelEntry


def model_entries_visible_to(user: User) -> QuerySet[ModelEntry]:
    entries = ModelEntry.objects.select_related("owner").annotate(answer_count=Count("answers"))
    if user.is_curator or user.is_superuser:
        return entries
    return entries.filter(owner=user)


def answers_visible_to(user: User) -> QuerySet[Answer]:
    from evaluation.models import Validation

    validations = Validation.objects.select_related("validator", "result").order_by("validator__name")
    answers = Answer.objects.select_related("question").prefetch_related(
        Prefetch("validations", queryset=validations)
    )
    if user.is_curator or user.is_superuser:
        return answers
    return answers.filter(model_entry__owner=user)


def generation_jobs_visible_to(user: User) -> QuerySet[GenerationJob]:
    jobs = GenerationJob.objects.select_related("model_entry", "created_by")
    if user.is_curator or user.is_superuser:
        return jobs
    return jobs.filter(model_entry__owner=user)
