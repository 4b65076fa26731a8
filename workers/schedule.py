"""Celery beat schedule, in code. Later issues add the sweeper and periodic jobs here."""

BEAT_SCHEDULE: dict[str, dict] = {}
