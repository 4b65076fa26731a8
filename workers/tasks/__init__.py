from workers.tasks.generation import run_generation_job
from workers.tasks.health import ping

__all__ = ["ping", "run_generation_job"]
