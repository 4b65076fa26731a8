"""The leaderboards' tallies, rebuilt on beat (`default` queue)."""

from celery import shared_task


@shared_task(name="quorum.leaderboards.refresh", acks_late=True, time_limit=600, expires=300)
def refresh_leaderboards() -> float:
    from leaderboards.services import leaderboard_tallies_refresh

    return leaderboard_tallies_refresh().seconds
