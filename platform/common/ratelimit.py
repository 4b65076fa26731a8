"""A small fixed-window rate limit on the shared cache, for browser actions (reviews, flags)."""

import time

from django.core.cache import cache


def allow(*, key: str, per_minute: int) -> bool:
    window = int(time.time() // 60)
    cache_key = f"ratelimit:{key}:{window}"
    cache.add(cache_key, 0, timeout=120)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=120)
        count = 1
    return count <= per_minute
