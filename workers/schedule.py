"""Celery beat schedule, in code (intervals come from settings)."""


def beat_schedule(*, sweep_every_s: float) -> dict[str, dict]:
    return {
        "sweep-validations": {"task": "quorum.validation.sweep", "schedule": sweep_every_s},
        "sweep-webhooks": {"task": "quorum.webhooks.sweep", "schedule": sweep_every_s},
    }
