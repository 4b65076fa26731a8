"""Celery beat schedule, in code (intervals come from settings)."""


def beat_schedule(
    *, sweep_every_s: float, leaderboard_every_s: float = 60.0, recheck_every_s: float = 86400.0,
    refit_every_s: float = 300.0,
) -> dict[str, dict]:
    return {
        "sweep-validations": {"task": "quorum.validation.sweep", "schedule": sweep_every_s},
        "sweep-assessments": {"task": "quorum.reviews.sweep", "schedule": sweep_every_s},
        "refit-reliabilities": {"task": "quorum.reviews.refit", "schedule": refit_every_s},
        "refresh-leaderboards": {"task": "quorum.leaderboards.refresh", "schedule": leaderboard_every_s},
        "clean-up-exports": {"task": "quorum.exports.cleanup", "schedule": 3600.0},
        "sweep-webhooks": {"task": "quorum.webhooks.sweep", "schedule": sweep_every_s},
        "recheck-sources": {"task": "quorum.curation.recheck", "schedule": recheck_every_s},
    }
