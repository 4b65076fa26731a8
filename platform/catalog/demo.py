"""Demo data: users for each role and the questions in demo/questions.jsonl."""

import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

import validators
from accounts.models import Role, User
from accounts.services import user_create, user_set_role
from catalog.models import Question, QuestionState, RetireReason, Site
from catalog.records import parse_line
from catalog.services import (
    ImportOutcome,
    NumberedRecord,
    question_import_batch,
    question_retire,
)
from common import localjudge
from evaluation.models import ValidatorConfig
from evaluation.selectors import answers_unjudged
from evaluation.services import (
    replay_unjudged_start,
    validator_config_normalise,
    validator_config_save,
)
from reviews.services import expert_domain_grant
from submissions.models import ModelEntry
from submissions.services import answer_submit_bulk, model_entry_create

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "questions.jsonl"
DEMO_ANSWERS = Path(__file__).resolve().parent / "demo" / "answers.jsonl"
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
# model_name in answers.jsonl → (owner, entry fields)
DEMO_MODELS = {
    "atlas-7b": ("builder", {"display_name": "Atlas 7B", "version": "2026-10", "base_model": "atlas-7b-base",
                             "provider": "self-hosted vLLM", "generation_params": {"temperature": 0.7}}),
    "nova-2": ("builder2", {"display_name": "Nova 2", "version": "2.0", "provider": "Frontier AI API",
                            "generation_params": {"temperature": 0.7, "max_tokens": 4096}}),
}  # fmt: skip
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
    expert = User.objects.get(username="expert")
    for site in Site.objects.exclude(experts__user=expert):
        expert_domain_grant(user=expert, site=site, curator=None)
    if not User.objects.filter(username=DEMO_ADMIN.username).exists():
        User.objects.create_superuser(
            DEMO_ADMIN.username, f"{DEMO_ADMIN.username}@quorum.invalid", DEMO_ADMIN.password,
            display_name=DEMO_ADMIN.display_name,
        )  # fmt: skip
    return [*DEMO_USERS, DEMO_ADMIN]


def demo_questions_ensure() -> ImportOutcome:
    lines = DEMO_FILE.read_text(encoding="utf-8").splitlines()
    items = [NumberedRecord(n, parse_line(line)) for n, line in enumerate(lines, 1) if line.strip()]
    return question_import_batch(items=items, source=DEMO_SOURCE)


DEMO_JUDGE_NAME = "demo-local"


def demo_judge_config() -> dict:
    """The `demo-local` preset, pointed at the local judge's address of this installation."""
    config = validators.load(DEMO_JUDGE_NAME)
    config["judges"]["default"]["base_url"] = localjudge.base_url(settings.QUORUM_DEMO_JUDGE_ADDR)
    return config


def demo_judge_ensure() -> ValidatorConfig | None:
    """The local judge as the demo's primary validator, when it is installed and wanted.

    Answers it has not judged yet (seeded before it was installed) are replayed to it.
    """
    if not settings.QUORUM_DEMO_JUDGE or localjudge.missing_packages():
        return None
    config = demo_judge_config()
    existing = ValidatorConfig.objects.filter(name=DEMO_JUDGE_NAME).first()
    judge = existing
    if existing is None or existing.config != validator_config_normalise(config)[0]:
        judge = validator_config_save(
            name=DEMO_JUDGE_NAME, config=config, actor=None, is_primary=True,
            runs_on_new_answers=True, demo_judge=True, max_attempts=3, instance=existing,
            description="SmolLM2-135M on the CPU behind a local llama.cpp server: shows the "
                        "pipeline working; its verdicts mean nothing.",
        )  # fmt: skip
    return judge


def _demo_judge_catch_up(judge: ValidatorConfig | None) -> int:
    if judge is None or not answers_unjudged(judge).exists():
        return 0
    replay, _ = replay_unjudged_start(validator=judge, actor=None)
    return replay.total


def demo_answers_ensure() -> int:
    """Model entries for the demo builders and their answers (failed generations skipped)."""
    by_model: dict[str, list[dict]] = {}
    for line in DEMO_ANSWERS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else {}
        if "answer" in row:
            by_model.setdefault(row["model_name"], []).append(row)
    submitted = 0
    for model_name, rows in by_model.items():
        username, fields = DEMO_MODELS[model_name]
        owner = User.objects.get(username=username)
        entry = ModelEntry.objects.filter(owner=owner, name=model_name).first()
        if entry is None:
            entry = model_entry_create(owner=owner, name=model_name, **fields)
        outcome = answer_submit_bulk(entry=entry, raw_items=rows, source=DEMO_SOURCE)
        submitted += outcome.created
    return submitted


def _demo_lifecycle() -> None:
    """Show one retired question, once: a curator's decision with its reason."""
    curator = User.objects.filter(username="curator").first()
    unanswered = Question.objects.filter(source=DEMO_SOURCE, answers__isnull=True)
    question = unanswered.order_by("votes", "id").first()
    if question is None or question.transitions.exclude(actor=None).exists():
        return
    if question.state == QuestionState.OPEN:
        question_retire(
            question=question, actor=curator, retire_reason=RetireReason.OFF_TOPIC,
            note="demo: shows how a retired question looks",
        )  # fmt: skip


@dataclass(frozen=True)
class DemoOutcome:
    users: list[DemoUser]
    questions: ImportOutcome
    answers_created: int
    judge: ValidatorConfig | None
    judge_catch_up: int


@transaction.atomic
def demo_seed() -> DemoOutcome:
    questions = demo_questions_ensure()
    users = demo_users_ensure()
    judge = demo_judge_ensure()
    answers = demo_answers_ensure()
    _demo_lifecycle()
    return DemoOutcome(users, questions, answers, judge, _demo_judge_catch_up(judge))
