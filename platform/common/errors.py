class DomainError(Exception):
    """A rule of the domain was broken; the message is safe to show to the user."""


class InvalidTransition(DomainError):
    pass
