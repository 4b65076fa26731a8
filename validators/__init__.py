"""Quorum's validators: judge one answer to one question (pure Python, no Django)."""

__version__ = "0.1.0"
