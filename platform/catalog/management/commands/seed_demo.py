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
            judge = outcome.judge.config["judges"]["default"]["base_url"]
            self.stdout.write(
                f"Demo judge: {outcome.judge.name}, SmolLM2-135M at {judge} (its verdicts are not "
                f"meaningful); {outcome.judge_catch_up} earlier answers queued for it."
            )
        else:
            self.stdout.write(
                "No demo judge: the local model is not installed or QUORUM_DEMO_JUDGE is false "
                "(install it with make setup-llm), or add a validator config pointing at an "
                "OpenAI-compatible endpoint in the admin."
            )
        self.stdout.write(self.style.SUCCESS("Demo logins (username / password — roles):"))
        for user in outcome.users:
            roles = ", ".join(user.roles) or "superuser (admin)"
            self.stdout.write(f"  {user.username:<10} / {user.password:<18} — {roles}")
