import pytest

from tests.factories import QuestionFactory, SiteFactory, UserFactory


@pytest.fixture
def visitor(client):
    return client


@pytest.fixture
def curator(db):
    from accounts.services import user_set_role

    user = UserFactory(username="cura")
    return user_set_role(user=user, role="curator", granted=True)


@pytest.fixture
def expert(db):
    return UserFactory(username="exp", is_expert=True)


@pytest.fixture
def builder(db):
    return UserFactory(username="bld", is_builder=True, organisation="Lab")


@pytest.fixture
def site(db):
    return SiteFactory(slug="math", name="Mathematics")


@pytest.fixture
def question(site):
    return QuestionFactory(site=site)
