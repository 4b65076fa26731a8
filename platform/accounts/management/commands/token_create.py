from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import TokenScope, User
from accounts.services import api_token_create
from common.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create an API token for a user and print it once (only its hash is stored). The token "
        "alone goes to standard output, so `export QUORUM_TOKEN=$(python manage.py token_create …)` "
        "works; the notes go to standard error."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--scope", action="append", dest="scopes", choices=TokenScope.values, required=True,
            help="read (GET requests) or submit (POST and PATCH); repeat for both.",
        )  # fmt: skip
        parser.add_argument("--name", default="cli", help="What uses the token (default: cli).")
        parser.add_argument("--expires-days", type=int, help="Days until it stops working (default: never).")

    def handle(self, *args, username, scopes, name, expires_days, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}. Create one first (sign up, or createsuperuser).")
        expires_at = None
        if expires_days is not None:
            if expires_days < 1:
                raise CommandError("--expires-days must be at least 1.")
            expires_at = timezone.now() + timedelta(days=expires_days)
        try:
            issued = api_token_create(user=user, name=name, scopes=scopes, expires_at=expires_at)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        if TokenScope.SUBMIT in scopes and not (user.is_builder or user.is_curator):
            self.stderr.write(
                f"Note: {username} is not a model builder, so the API refuses their submissions "
                "until a curator grants the builder role."
            )
        self.stderr.write(
            f"Token {name!r} for {username} (scopes: {', '.join(sorted(set(scopes)))}), shown once: "
            "keep it secret; revoke it on the profile page."
        )
        self.stdout.write(issued.plaintext)
