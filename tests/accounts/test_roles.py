import pytest

from accounts.services import user_create, user_set_role
from common.errors import DomainError


@pytest.mark.django_db
def test_curator_role_grants_and_revokes_admin_access():
    user = user_create(username="cura", password="a long password 42", roles=("curator",))
    assert user.is_curator and user.is_staff
    assert user.has_perm("catalog.change_question")
    assert not user.has_perm("accounts.change_user")
    user_set_role(user=user, role="curator", granted=False)
    user.refresh_from_db()
    assert not user.is_curator and not user.is_staff
    assert not user.groups.exists()


@pytest.mark.django_db
def test_roles_are_independent():
    user = user_create(username="both", password="a long password 42", roles=("builder", "expert"))
    assert user.roles == ["expert", "builder"]
    assert not user.is_staff


@pytest.mark.django_db
def test_unknown_role_and_taken_username_are_clear_errors():
    user = user_create(username="taken", password="a long password 42")
    with pytest.raises(DomainError, match="Unknown role 'wizard'"):
        user_set_role(user=user, role="wizard", granted=True)
    with pytest.raises(DomainError, match="taken"):
        user_create(username="TAKEN", password="a long password 42")


@pytest.mark.django_db
def test_granting_curator_in_the_admin_goes_through_the_service(client):
    from tests.factories import UserFactory

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    target = UserFactory(username="soon-curator")
    client.force_login(admin)
    form = client.get(f"/admin/accounts/user/{target.pk}/change/").context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k not in ("groups", "user_permissions", "password", "last_login", "date_joined")}
    data.update({"is_curator": "on", "is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
    response = client.post(f"/admin/accounts/user/{target.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    target.refresh_from_db()
    assert target.is_curator and target.is_staff
    assert target.groups.filter(name="curators").exists()
