"""Passwords (Argon2id, policy), access tokens (JWT, one pinned algorithm), refresh tokens.

Access tokens are HS256 JWTs with ``iss``, ``aud``, ``exp``, ``iat``, ``sub``, ``jti`` and
``typ``; decoding accepts exactly that algorithm and refuses ``none`` or any other (an
attacker cannot switch to a public-key or unsigned token). Refresh tokens are random,
opaque, stored only as SHA-256 digests, and rotate on every use (see ``_accounts``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

ALGORITHM = "HS256"
"""The one signing algorithm accepted (pinned: never taken from the token header)."""
MIN_SECRET_LENGTH = 32
DEV_SECRET = "ptsdrx-development-only-secret-not-for-clinics"
ROLES = ("admin", "clinician", "nurse", "researcher", "auditor")


class WeakPasswordError(ValueError):
    """A password refused by the policy; the message says which rule."""


class TokenError(Exception):
    """An access token refused (expired, forged, wrong audience/issuer/algorithm, malformed)."""


_HASHER: list[PasswordHash] = []


def _hasher() -> PasswordHash:
    if not _HASHER:  # argon2-cffi defaults: Argon2id, RFC 9106 low-memory profile
        _HASHER.append(PasswordHash((Argon2Hasher(),)))
    return _HASHER[0]


def use_cheap_hashing_for_tests() -> None:
    """Argon2id with minimal cost (1 pass, 8 MiB): for test suites only, never a clinic."""
    _HASHER[:] = [PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8192, parallelism=1),))]
    _DUMMY_HASH.clear()


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of refused passwords (lower case)."""
    text = resources.files("ptsdrx.api").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def check_password(password: str, *, username: str, min_length: int) -> None:
    """Raise :class:`WeakPasswordError` unless ``password`` meets the policy."""
    if len(password) < min_length:
        raise WeakPasswordError(f"password must have at least {min_length} characters")
    if len(password) > 1024:
        raise WeakPasswordError("password must have at most 1024 characters")
    lowered = password.lower()
    stem = lowered.rstrip("0123456789!@#$%^&*.?_- ")
    common = common_passwords()
    if lowered in common or stem in common or len(set(lowered)) <= 2:
        raise WeakPasswordError("password is too common (on the shipped common-password list)")
    if username and username.lower() in lowered:
        raise WeakPasswordError("password must not contain the user name")


def hash_password(password: str) -> str:
    """Argon2id hash (PHC string with salt and parameters)."""
    return _hasher().hash(password)


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored`` (constant time in the hasher)."""
    try:
        return _hasher().verify(password, stored)
    except Exception:  # a malformed stored hash never authenticates
        return False


_DUMMY_HASH: list[str] = []


def burn_verify(password: str) -> None:
    """Spend the time of one verification (unknown user: no timing difference)."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_urlsafe(16)))
    verify_password(password, _DUMMY_HASH[0])


def check_secret(secret: str | None, *, development: bool) -> str:
    """The signing secret in force; refuses a missing, default or short one outside dev mode."""
    if secret and secret != DEV_SECRET and len(secret) >= MIN_SECRET_LENGTH:
        return secret
    if development:
        return secret or DEV_SECRET
    raise RuntimeError(
        f"PTSDRX_SECRET_KEY must be set to a random secret of at least {MIN_SECRET_LENGTH} "
        "characters (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'); "
        "only PTSDRX_DEVELOPMENT=1 allows starting without one"
    )


@dataclass(frozen=True)
class TokenConfig:
    """What signs and checks access tokens."""

    secret: str
    issuer: str
    audience: str
    minutes: int


@dataclass(frozen=True)
class AccessClaims:
    """The checked content of an access token."""

    user_id: int
    username: str
    role: str
    jti: str
    expires: datetime
    kind: str


def issue_access(
    cfg: TokenConfig, *, user_id: int, username: str, role: str, kind: str = "access"
) -> tuple[str, AccessClaims]:
    """A signed access token (``kind`` ``access`` for Bearer, ``session`` for the cookie)."""
    now = datetime.now(UTC)
    claims = AccessClaims(
        user_id=user_id,
        username=username,
        role=role,
        jti=uuid.uuid4().hex,
        expires=now + timedelta(minutes=cfg.minutes),
        kind=kind,
    )
    payload: dict[str, Any] = {
        "iss": cfg.issuer,
        "aud": cfg.audience,
        "sub": str(user_id),
        "name": username,
        "role": role,
        "iat": now,
        "nbf": now,
        "exp": claims.expires,
        "jti": claims.jti,
        "typ": kind,
    }
    return jwt.encode(payload, cfg.secret, algorithm=ALGORITHM), claims


def decode_access(cfg: TokenConfig, token: str, *, kind: str) -> AccessClaims:
    """The claims of a valid token of ``kind``; :class:`TokenError` for anything else."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenError("malformed token") from exc
    if header.get("alg") != ALGORITHM:
        raise TokenError(f"token algorithm must be {ALGORITHM}")
    try:
        data = jwt.decode(
            token,
            cfg.secret,
            algorithms=[ALGORITHM],
            audience=cfg.audience,
            issuer=cfg.issuer,
            options={"require": ["exp", "iat", "sub", "jti", "iss", "aud"]},
            leeway=5,
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token expired") from exc
    except jwt.PyJWTError as exc:
        raise TokenError("invalid token") from exc
    if data.get("typ") != kind:
        raise TokenError(f"not a {kind} token")
    role, name, sub = data.get("role"), data.get("name"), data.get("sub")
    if role not in ROLES or not isinstance(name, str) or not isinstance(sub, str):
        raise TokenError("invalid token claims")
    try:
        user_id = int(sub)
    except ValueError as exc:
        raise TokenError("invalid token subject") from exc
    return AccessClaims(
        user_id=user_id,
        username=name,
        role=role,
        jti=str(data["jti"]),
        expires=datetime.fromtimestamp(int(data["exp"]), UTC),
        kind=kind,
    )


def new_refresh_token() -> str:
    """A fresh opaque refresh token (256 bits)."""
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """SHA-256 hex digest: what is stored of a refresh token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(secret: str, jti: str) -> str:
    """The CSRF token bound to one web session (HMAC of its token id)."""
    return hmac.new(secret.encode(), f"csrf:{jti}".encode(), hashlib.sha256).hexdigest()


def pseudonym(secret: str, patient_id: str) -> str:
    """A keyed pseudonym of a patient for researchers (stable, not reversible without the key)."""
    mac = hmac.new(secret.encode(), f"research:{patient_id}".encode(), hashlib.sha256)
    return "r-" + mac.hexdigest()[:16]
