"""Demo data: users for each role and the questions in demo/questions.jsonl."""

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from accounts.models import Role, User
from accounts.services import user_create, user_set_role
from catalog.models import Question, QuestionState, RetireReason
from catalog.records import parse_line
from catalog.services import (
    ImportOutcome,
    NumberedRecord,
    question_import_batch,
    question_retire,
)

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "questions.jsonl"
DEMO_SOURCE = "quorum-demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    roles: tuple[str, ...]
    display_name: str
    organisation: str = ""


DEMO_USERS = (
    DemoUser("curator", "quorum-curator", (Role.CURATOR,), "Casey Curator"),
    DemoUser("expert", "quorum-expert", (Role.EXPERT,), "Erin Expert"),
    DemoUser("builder", "quorum-builder", (Role.BUILDER,), "Bo Builder", "Open Models Lab"),
    DemoUser("builder2", "quorum-builder2", (Role.BUILDER,), "Bea Builder", "Frontier AI"),
)
DEMO_ADMIN = DemoUser("admin", "quorum-admin", (), "Ada Admin")


def demo_users_ensure() -> list[DemoUser]:
    for demo in DEMO_USERS:
        user = User.objects.filter(username=demo.username).first()
        if user is None:
            user = user_create(
                username=demo.username, password=demo.password,
                email=f"{demo.username}@quorum.invalid", display_name=demo.display_name,
                organisation=demo.organisation,
            )  # fmt: skip
        for role in demo.roles:
            if role not in user.roles:
                user_set_role(user=user, role=role, granted=True)
    if not User.objects.filter(username=DEMO_ADMIN.username).exists():
        User.objects.create_superuser(
            DEMO_ADMIN.username, f"{DEMO_ADMIN.username}@quorum.invalid", DEMO_ADMIN.password,
            display_name=DEMO_ADMIN.display_name,
        )  # fmt: skip
    return [*DEMO_USERS, DEMO_ADMIN]


def demo_questions_ensure() -> ImportOutcome:
    lines = DEMO_FILE.read_text(encoding="utf-8").splitlines()
    items = [NumberedRecord(n, parse_line(line)) for n, line in enumerate(lines, 1) if line.strip()]
    outcome = question_import_batch(items=items, source=DEMO_SOURCE)
    _demo_lifecycle()
    return outcome


def _demo_lifecycle() -> None:
    """Show one retired question, once: a curator's decision with its reason."""
    curator = User.objects.filter(username="curator").first()
    question = Question.objects.filter(source=DEMO_SOURCE).order_by("votes", "id").first()
    if question is None or question.transitions.exclude(actor=None).exists():
        return
    if question.state == QuestionState.OPEN:
        question_retire(
            question=question, actor=curator, retire_reason=RetireReason.OFF_TOPIC,
            note="demo: shows how a retired question looks",
        )  # fmt: skip


@transaction.atomic
def demo_seed() -> tuple[list[DemoUser], ImportOutcome]:
    users = demo_users_ensure()
    return users, demo_questions_ensure()
