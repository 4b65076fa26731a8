import factory
from django.utils import timezone

from accounts.models import User
from catalog.models import Question, Site


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"site{n}")
    name = factory.LazyAttribute(lambda s: s.slug.title())


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    source = "test"
    external_id = factory.Sequence(lambda n: f"q{n}")
    site = factory.SubFactory(SiteFactory)
    title = factory.Sequence(lambda n: f"Question number {n}")
    body = "Is it true that $x^2 \\geq 0$ for every real $x$?"
    category = "math"
    tags = factory.LazyFunction(lambda: ["algebra"])
    votes = 10
    content_hash = factory.Sequence(lambda n: f"{n:064d}")
    last_activity_at = factory.LazyFunction(timezone.now)


class ModelEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "submissions.ModelEntry"

    owner = factory.SubFactory(UserFactory, is_builder=True)
    name = factory.Sequence(lambda n: f"model-{n}")
    version = "1"


class AnswerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "submissions.Answer"

    question = factory.SubFactory(QuestionFactory)
    model_entry = factory.SubFactory(ModelEntryFactory)
    text = factory.Sequence(lambda n: f"The answer number {n}: yes, since squares are never negative.")
    content_hash = factory.Sequence(lambda n: f"answer-{n}")


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reviews.Review"

    answer = factory.SubFactory(AnswerFactory)
    expert = factory.SubFactory(UserFactory, is_expert=True)
    answer_owner = factory.LazyAttribute(lambda r: r.answer.model_entry.owner)
    verdict = "correct"
    confidence = 4
    rationale = "Checked every step."
