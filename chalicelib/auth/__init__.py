"""Operator sign-in: Telegram Login Widget, one-time magic links, sessions, rate limits."""
