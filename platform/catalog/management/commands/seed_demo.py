from django.core.management.base import BaseCommand

from catalog.demo import demo_seed
from leaderboards.services import leaderboard_tallies_refresh


class Command(BaseCommand):
    help = "Create (or refresh) demo users and questions. Safe to run any number of times."

    def handle(self, *args, **options):
        outcome = demo_seed()
        leaderboard_tallies_refresh()
        questions = outcome.questions
        self.stdout.write(
            f"Demo questions: {questions.created} created, {questions.updated} updated, "
            f"{questions.unchanged} unchanged. Demo answers: {outcome.answers_created} created."
        )
        if outcome.judge:
            self.stdout.write(f"Demo judge: {outcome.judge.name} (SmolLM2-135M on the CPU; its verdicts are not meaningful).")
        else:
            self.stdout.write(
                "No demo judge: install the local model (make setup-llm) or add a validator config "
                "pointing at an OpenAI-compatible endpoint in the admin."
            )
        self.stdout.write(self.style.SUCCESS("Demo logins (username / password — roles):"))
        for user in outcome.users:
            roles = ", ".join(user.roles) or "superuser (admin)"
            self.stdout.write(f"  {user.username:<10} / {user.password:<18} — {roles}")
