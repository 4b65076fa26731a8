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


@pytest.mark.django_db
def test_sign_up_log_in_and_reset_the_password_by_email(client, mailoutbox):
    response = client.post("/accounts/signup/", {"username": "newbie", "email": "newbie@example.org",
                                                 "password": "a long and fine password"})  # fmt: skip
    assert response.status_code == 302 and response.url == "/reviews/expertise/"
    client.logout()
    assert client.post("/accounts/password_reset/", {"email": "newbie@example.org"}).status_code == 302
    [mail] = mailoutbox
    link = next(line for line in mail.body.splitlines() if "/accounts/reset/" in line).strip()
    form = client.get(link, follow=True)
    assert form.status_code == 200 and b"Choose a new password" in form.content
    done = client.post(form.redirect_chain[-1][0], {"new_password1": "another fine password 7",
                                                    "new_password2": "another fine password 7"})  # fmt: skip
    assert done.status_code == 302
    assert client.login(username="newbie", password="another fine password 7")


@pytest.mark.django_db
def test_sign_up_refuses_weak_passwords_and_taken_names(client):
    from tests.factories import UserFactory

    UserFactory(username="taken")
    weak = client.post("/accounts/signup/", {"username": "someone", "email": "a@b.org", "password": "password"})
    assert weak.status_code == 400 and b"too common" in weak.content
    taken = client.post("/accounts/signup/", {"username": "Taken", "email": "a@b.org", "password": "a long fine password"})
    assert taken.status_code == 400 and b"is taken" in taken.content


@pytest.mark.django_db
def test_profile_keeps_affiliation_organisation_and_expertise_tags(client):
    from tests.factories import UserFactory

    user = UserFactory(username="prof")
    client.force_login(user)
    client.post("/accounts/profile/edit/", {"display_name": "Prof. X", "affiliation": "ETH",
                                            "organisation": "", "expertise_tags": "Number-Theory, ergodic theory,"})  # fmt: skip
    user.refresh_from_db()
    assert (user.display_name, user.affiliation, user.expertise_tags) == ("Prof. X", "ETH", ["number-theory", "ergodic theory"])
    assert 'value="number-theory, ergodic theory"' in client.get("/accounts/profile/").content.decode()
