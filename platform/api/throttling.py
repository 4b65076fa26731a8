from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken


class TokenRateThrottle(SimpleRateThrottle):
    """Per token (or per user for sessions, per IP for visitors): `read` and `submit` rates."""

    def __init__(self):  # the scope (and so the rate) is chosen per request
        pass

    def allow_request(self, request, view):
        if not (request.user and request.user.is_authenticated):
            self.scope = "anon"
        elif request.method in ("GET", "HEAD", "OPTIONS"):
            self.scope = "read"
        else:
            self.scope = "submit"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"
