import pytest

from reviews.services import expert_domain_grant
from submissions.models import Answer
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory, UserFactory
from tests.support.receiver import Receiver
from webhooks.services import endpoint_create
from workers.celery_app import app as celery_app


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def sending(django_capture_on_commit_callbacks):
    """Tasks run in-process (errors raised), and after-commit work runs when the block ends
    (test transactions never commit). Usage: `with sending(): …`."""
    celery_app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield lambda: django_capture_on_commit_callbacks(execute=True)
    celery_app.conf.update(task_always_eager=False, task_eager_propagates=False)


@pytest.fixture
def published(monkeypatch):
    """Every send task published: (delivery id, attempt, countdown); they still run."""
    import workers.tasks.webhooks as tasks

    calls = []
    real = tasks.publish_delivery

    def spy(delivery_id, attempt, *, countdown=None):
        calls.append((delivery_id, attempt, countdown))
        real(delivery_id, attempt, countdown=countdown)

    monkeypatch.setattr(tasks, "publish_delivery", spy)
    return calls


@pytest.fixture
def make_endpoint(receiver):
    def make(
        owner, *, path="/hook", events=("answer.validated", "answer.verified", "question.solved")
    ):
        endpoint = endpoint_create(owner=owner, url=receiver.url(path), event_types=list(events))
        receiver.secrets[path] = endpoint.secret
        return endpoint

    return make


@pytest.fixture
def public_endpoint(receiver, fake_internet):
    """An endpoint at hooks.pub.test, a public address of the fake internet served by the
    receiver (so the sender treats it as a public host, not an allow-listed internal one)."""
    port = receiver._server.server_port
    fake_internet.names["hooks.pub.test"] = ["203.0.113.10"]
    fake_internet.stand_in[("203.0.113.10", port)] = port

    def make(owner, *, path="/hook", events=("answer.validated",)):
        url = f"http://hooks.pub.test:{port}{path}"
        endpoint = endpoint_create(owner=owner, url=url, event_types=list(events))
        receiver.secrets[path] = endpoint.secret
        return endpoint

    return make


@pytest.fixture
def math(db):
    return SiteFactory(slug="math", name="Mathematics")


@pytest.fixture
def make_expert(math):
    def make(username):
        user = UserFactory(username=username)
        expert_domain_grant(user=user, site=math, curator=None)
        user.refresh_from_db()
        return user

    return make


@pytest.fixture
def make_answer(math):
    counter = iter(range(10_000))

    def make(owner, *, question=None):
        n = next(counter)
        question = question or QuestionFactory(site=math, external_id=f"w{n}")
        entry = ModelEntryFactory(owner=owner, name=f"model{n}")
        return Answer.objects.create(
            question=question, model_entry=entry, text="An answer.", content_hash=str(n)
        )

    return make


@pytest.fixture
def rival(db):
    return UserFactory(username="rival", is_builder=True)
