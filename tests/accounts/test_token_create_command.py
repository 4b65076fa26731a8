"""`manage.py token_create`: an API token from the command line, shown once, stored hashed."""

import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def create(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("token_create", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_prints_only_the_token_which_then_authenticates_with_its_scopes(builder):
    token, notes = create(builder.username, "--scope", "read", "--scope", "submit", "--name", "laptop")
    assert token.startswith("qrm_") and "\n" not in token
    assert "shown once" in notes and "read, submit" in notes
    stored = ApiToken.objects.get(user=builder)
    assert stored.name == "laptop" and stored.scopes == ["read", "submit"]
    assert token.split("_", 2)[2] not in stored.secret_hash  # only the hash is kept
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/model-entries/").status_code == 200
    created = api.post("/api/v1/model-entries/", {"name": "cli-model"}, format="json")
    assert created.status_code == 201, created.content


def test_a_read_token_cannot_submit(builder):
    token, _ = create(builder.username, "--scope", "read")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    refused = api.post("/api/v1/model-entries/", {"name": "cli-model"}, format="json")
    assert refused.status_code == 403 and "submit" in refused.json()["detail"]


def test_expiry_in_days(builder):
    create(builder.username, "--scope", "read", "--expires-days", "30")
    token = ApiToken.objects.get(user=builder)
    assert 29 <= (token.expires_at - token.created_at).days <= 30


def test_warns_when_the_user_cannot_submit(expert):
    _, notes = create(expert.username, "--scope", "submit")
    assert "not a model builder" in notes


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "--scope", "read"], "No user 'nobody'"),
        (["bld", "--scope", "read", "--name", " "], "name of 1 to 100 characters"),
        (["bld", "--scope", "read", "--expires-days", "0"], "at least 1"),
    ],
)
def test_bad_input_is_a_clear_error(builder, args, message):
    with pytest.raises(CommandError, match=message):
        create(*args)
    assert not ApiToken.objects.exists()


def test_scope_is_required_and_checked(builder):
    with pytest.raises(CommandError, match="invalid choice: 'write'"):
        create(builder.username, "--scope", "write")
    with pytest.raises(CommandError, match="--scope"):
        create(builder.username)
