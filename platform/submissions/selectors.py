from django.db.models import Count, QuerySet

from accounts.models import User
from submissions.models import Answer, GenerationJob, ModelEntry


def model_entries_visible_to(user: User) -> QuerySet[ModelEntry]:
    entries = ModelEntry.objects.select_related("owner").annotate(answer_count=Count("answers"))
    if user.is_curator or user.is_superuser:
        return entries
    return entries.filter(owner=user)


def answers_visible_to(user: User) -> QuerySet[Answer]:
    answers = Answer.objects.select_related("question")
    if user.is_curator or user.is_superuser:
        return answers
    return answers.filter(model_entry__owner=user)


def generation_jobs_visible_to(user: User) -> QuerySet[GenerationJob]:
    jobs = GenerationJob.objects.select_related("model_entry", "created_by")
    if user.is_curator or user.is_superuser:
        return jobs
    return jobs.filter(model_entry__owner=user)
