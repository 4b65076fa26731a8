"""PostgreSQL stores neither U+0000 in text nor in any key or string of jsonb."""


def contains_nul(value) -> bool:
    """True when a string, or any key or string inside dicts and lists, holds U+0000."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(contains_nul(item) for item in value)
    return False
