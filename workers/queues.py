"""The one place where queue names and task routing live (ARCHITECTURE.md §5)."""

from kombu import Queue

DEFAULT = "default"
LLM_IO = "llm_io"
GPU = "gpu"

ALL_QUEUES = (DEFAULT, LLM_IO, GPU)

TASK_QUEUES = tuple(Queue(name, routing_key=name) for name in ALL_QUEUES)

# Stable task names (never derived from module paths) mapped to their queue.
TASK_ROUTES: dict[str, dict[str, str]] = {
    "quorum.generation.run": {"queue": LLM_IO},
    "quorum.validation.run": {"queue": LLM_IO},  # or GPU, chosen per validator config
    "quorum.validation.record": {"queue": DEFAULT},
    "quorum.validation.sweep": {"queue": DEFAULT},
    "quorum.reviews.assess": {"queue": DEFAULT},
    "quorum.reviews.sweep": {"queue": DEFAULT},
    "quorum.reviews.refit": {"queue": DEFAULT},
    "quorum.exports.run": {"queue": DEFAULT},
    "quorum.leaderboards.refresh": {"queue": DEFAULT},
    "quorum.exports.cleanup": {"queue": DEFAULT},
    "quorum.webhooks.deliver": {"queue": DEFAULT},
    "quorum.webhooks.sweep": {"queue": DEFAULT},
    # Curation: HTTP-bound (Stack Exchange API, LLM judges), with waits the API asks for.
    "quorum.curation.harvest": {"queue": LLM_IO},
    "quorum.curation.screen": {"queue": LLM_IO},
    "quorum.curation.recheck": {"queue": LLM_IO},
}
