from django.core.management.base import BaseCommand

from catalog.demo import demo_seed


class Command(BaseCommand):
    help = "Create (or refresh) demo users and questions. Safe to run any number of times."

    def handle(self, *args, **options):
        users, outcome = demo_seed()
        self.stdout.write(
            f"Demo questions: {outcome.created} created, {outcome.updated} updated, "
            f"{outcome.unchanged} unchanged."
        )
        self.stdout.write(self.style.SUCCESS("Demo logins (username / password — roles):"))
        for user in users:
            roles = ", ".join(user.roles) or "superuser (admin)"
            self.stdout.write(f"  {user.username:<10} / {user.password:<18} — {roles}")
