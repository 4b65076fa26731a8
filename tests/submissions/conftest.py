import pytest
from rest_framework.test import APIClient

from accounts.services import api_token_create
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory, UserFactory


def token_client(user, scopes=("read", "submit")) -> APIClient:
    client = APIClient()
    issued = api_token_create(user=user, name="test", scopes=list(scopes))
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    client.user = user
    return client


@pytest.fixture
def builder_user(db):
    return UserFactory(username="alice", is_builder=True, organisation="Lab A")


@pytest.fixture
def other_builder_user(db):
    return UserFactory(username="bob", is_builder=True, organisation="Lab B")


@pytest.fixture
def api(builder_user):
    return token_client(builder_user)


@pytest.fixture
def other_api(other_builder_user):
    return token_client(other_builder_user)


@pytest.fixture
def entry(builder_user):
    return ModelEntryFactory(owner=builder_user, name="gpt-x", version="2025-01")


@pytest.fixture
def questions(db):
    site = SiteFactory(slug="math")
    return [QuestionFactory(site=site, source="uq", external_id=f"uq{n}") for n in range(5)]
