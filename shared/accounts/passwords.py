"""Passwords: argon2id hashes (argon2-cffi's defaults, RFC 9106's low-memory profile), never
the password itself. Hashing takes ~0.1 s on purpose, so callers run it off the event loop."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
_hasher = PasswordHasher()


@cache
def _unknown_user() -> str:
    """Verified against when a name is unknown, so a wrong name costs as long as a wrong
    password (made on first use: hashing takes as long as a login)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValueError(f"a password has at least {MIN_LENGTH} characters")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _unknown_user(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """20 URL-safe characters: 120 random bits."""
    return secrets.token_urlsafe(15)
