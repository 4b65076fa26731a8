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
