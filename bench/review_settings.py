"""Production's settings with the review benchmark's reference view added to the URLs."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "review_urls"
