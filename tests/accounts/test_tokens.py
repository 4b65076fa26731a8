from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_authenticate, api_token_create, api_token_revoke
from common.errors import DomainError
from tests.factories import UserFactory


@pytest.fixture
def user(db):
    return UserFactory(username="tok", is_builder=True)


def test_token_is_prefixed_shown_once_and_stored_hashed(user):
    issued = api_token_create(user=user, name="ci", scopes=["read"])
    assert issued.plaintext.startswith("qrm_")
    stored = ApiToken.objects.get()
    assert issued.plaintext.split("_", 2)[2] not in (stored.secret_hash, stored.lookup)
    assert len(stored.secret_hash) == 64
    assert api_token_authenticate(issued.plaintext) == stored
    assert api_token_authenticate(issued.plaintext[:-1] + "x") is None
    assert api_token_authenticate("qrm_nope_nope") is None


def test_last_use_is_recorded(user):
    issued = api_token_create(user=user, name="ci", scopes=["read"])
    api_token_authenticate(issued.plaintext)
    assert ApiToken.objects.get().last_used_at is not None


def test_revoked_and_expired_tokens_stop_working(user):
    revoked = api_token_create(user=user, name="a", scopes=["read"])
    api_token_revoke(token=revoked.token, actor=user)
    expiring = api_token_create(user=user, name="b", scopes=["read"], expires_at=timezone.now() + timedelta(hours=1))
    ApiToken.objects.filter(pk=expiring.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    client = APIClient()
    for issued in (revoked, expiring):
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
        response = client.get("/api/v1/answers/")
        assert response.status_code == 401
        assert "unknown, revoked or expired" in response.json()["detail"]


def test_bad_token_requests_are_clear_errors(user):
    with pytest.raises(DomainError, match="Scopes"):
        api_token_create(user=user, name="x", scopes=["admin"])
    with pytest.raises(DomainError, match="name"):
        api_token_create(user=user, name=" ", scopes=["read"])
    with pytest.raises(DomainError, match="future"):
        api_token_create(user=user, name="x", scopes=["read"], expires_at=timezone.now())
    other = UserFactory(username="other")
    token = api_token_create(user=user, name="x", scopes=["read"]).token
    with pytest.raises(DomainError, match="own tokens"):
        api_token_revoke(token=token, actor=other)


def test_profile_page_creates_shows_once_and_revokes(client, user):
    client.force_login(user)
    created = client.post("/accounts/profile/", {"name": "laptop", "scopes": ["read", "submit"]})
    assert created.status_code == 201
    html = created.content.decode()
    token = ApiToken.objects.get()
    plaintext = html.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert plaintext.startswith(f"qrm_{token.lookup}_")
    assert api_token_authenticate(plaintext) == token
    again = client.get("/accounts/profile/").content.decode()
    assert plaintext not in again and token.display_prefix in again
    revoked = client.post(f"/accounts/tokens/{token.pk}/revoke/", follow=True)
    assert "revoked" in revoked.content.decode()
    assert api_token_authenticate(plaintext) is None


def test_profile_htmx_gets_the_tokens_partial_and_errors_keep_input(client, user):
    client.force_login(user)
    response = client.post("/accounts/profile/", {"name": "x"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx: the errors are in the partial
    assert html.lstrip().startswith('<section id="tokens"') and "This field is required" in html
    assert 'value="x"' in html


def test_someone_elses_token_cannot_be_revoked_from_the_page(client, user):
    token = api_token_create(user=UserFactory(username="victim"), name="v", scopes=["read"]).token
    client.force_login(user)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_admin_creates_a_token_and_shows_it_once(client, user):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post("/admin/accounts/apitoken/add/", {
        "user": user.pk, "name": "from admin", "scopes": ["read"], "expires_at": "",
    }, follow=True)  # fmt: skip
    html = response.content.decode()
    assert "it will not be shown again: qrm_" in html
    plaintext = "qrm_" + html.split("it will not be shown again: qrm_", 1)[1].split("<", 1)[0].strip()
    assert api_token_authenticate(plaintext).user == user


def test_profile_page_creates_a_token_with_an_expiry_day(client, user):
    client.force_login(user)
    response = client.post("/accounts/profile/", {"name": "short-lived", "scopes": ["read"], "expires_at": "2099-01-31"})
    assert response.status_code == 201
    assert ApiToken.objects.get().expires_at.isoformat() == "2099-01-31T00:00:00+00:00"
    past = client.post("/accounts/profile/", {"name": "old", "scopes": ["read"], "expires_at": "2001-01-01"})
    assert past.status_code == 400 and "future" in past.content.decode()
