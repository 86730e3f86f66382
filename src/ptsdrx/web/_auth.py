"""Who is signed in: the web session cookie, CSRF tokens, and role checks for pages.

This is the dashboard's side of authentication. It is written against a small interface
(:class:`Authenticator`: check a password, list users) so the clinic service's identities
(``ptsdrx.api``) plug in without changing a page; :class:`MemoryUsers` is a minimal
in-process implementation used until then and by the tests.

The session cookie is ``HttpOnly``, ``SameSite=Strict`` and signed (HMAC-SHA256); it carries
the user id, name, role, expiry and a random nonce. The CSRF token is an HMAC of that nonce:
every state-changing request must send it back (form field ``csrf_token`` or header
``X-CSRF-Token``, which HTMX adds from ``hx-headers``), or it is refused with 403.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from fastapi import Request

ROLES = ("admin", "clinician", "nurse", "researcher", "auditor")
COOKIE = "ptsdrx_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True)
class Principal:
    """A signed-in user: id, name and role."""

    user_id: str
    username: str
    role: str


@dataclass(frozen=True)
class LoginRefused:
    """Why a sign-in failed, in words that never reveal whether the user exists."""

    message: str


class Authenticator(Protocol):
    """Checks passwords and lists users (the clinic service's identities, or a stand-in)."""

    def authenticate(self, username: str, password: str) -> Principal | LoginRefused:
        """The principal for a correct password, else a refusal."""

    def users(self) -> list[dict[str, str]]:
        """Users with their roles and state (``username``, ``role``, ``status``)."""


GENERIC_REFUSAL = (
    "Sign-in failed. Check the user name and password; after repeated failures the account "
    "is locked for a while."
)


@dataclass
class MemoryUsers:
    """Users held in memory with scrypt password hashes and a failure lockout.

    The same message is given for an unknown user, a wrong password and a locked account,
    and an unknown user costs the same hash work, so the answer says nothing about who exists.
    """

    max_failures: int = 5
    lockout_seconds: float = 900.0
    _users: dict[str, tuple[str, str, bytes, bytes]] = field(default_factory=dict)
    _failures: dict[str, list[float]] = field(default_factory=dict)

    @staticmethod
    def _hash(password: str, salt: bytes) -> bytes:
        return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)

    def add(self, username: str, password: str, role: str) -> None:
        """Add a user (``role`` one of :data:`ROLES`)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        if len(password) < 12:
            raise ValueError("password must be at least 12 characters")
        salt = secrets.token_bytes(16)
        self._users[username] = (f"u{len(self._users) + 1}", role, salt, self._hash(password, salt))

    def authenticate(self, username: str, password: str) -> Principal | LoginRefused:
        now = time.monotonic()
        recent = [t for t in self._failures.get(username, []) if now - t < self.lockout_seconds]
        user = self._users.get(username)
        salt, stored = (user[2], user[3]) if user else (b"0" * 16, b"")
        ok = hmac.compare_digest(self._hash(password, salt), stored) if user else False
        if len(recent) >= self.max_failures or not ok or user is None:
            self._failures[username] = [*recent, now]
            return LoginRefused(GENERIC_REFUSAL)
        self._failures.pop(username, None)
        return Principal(user_id=user[0], username=username, role=user[1])

    def users(self) -> list[dict[str, str]]:
        now = time.monotonic()
        out = []
        for name, (_, role, _, _) in sorted(self._users.items()):
            recent = [t for t in self._failures.get(name, []) if now - t < self.lockout_seconds]
            locked = len(recent) >= self.max_failures
            out.append({"username": name, "role": role, "status": "locked" if locked else "active"})
        return out


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class SessionSigner:
    """Signs and reads the session cookie; derives CSRF tokens."""

    secret: bytes
    max_age_seconds: int = 8 * 3600

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self.secret, payload, hashlib.sha256).digest()

    def issue(self, principal: Principal) -> str:
        """A cookie value for ``principal`` with a fresh nonce."""
        body = json.dumps(
            {
                "uid": principal.user_id,
                "sub": principal.username,
                "role": principal.role,
                "exp": int(time.time()) + self.max_age_seconds,
                "n": secrets.token_urlsafe(16),
            },
            separators=(",", ":"),
        ).encode()
        return f"{_b64(body)}.{_b64(self._mac(body))}"

    def read(self, value: str | None) -> tuple[Principal, str] | None:
        """The principal and nonce of a valid, unexpired cookie, else ``None``."""
        if not value or value.count(".") != 1:
            return None
        body_s, mac_s = value.split(".")
        try:
            body, mac = _unb64(body_s), _unb64(mac_s)
            if not hmac.compare_digest(self._mac(body), mac):
                return None
            data = json.loads(body)
            if int(data["exp"]) < time.time() or data["role"] not in ROLES:
                return None
            return Principal(str(data["uid"]), str(data["sub"]), str(data["role"])), str(data["n"])
        except (ValueError, KeyError, TypeError):
            return None

    def csrf(self, nonce: str) -> str:
        """The CSRF token bound to a session nonce."""
        return _b64(self._mac(b"csrf:" + nonce.encode()))


class LoginRequired(Exception):
    """No valid session: the page answers with a redirect to sign-in."""


class Forbidden(Exception):
    """Signed in, but the role may not see this page."""

    def __init__(self, principal: Principal) -> None:
        super().__init__(principal.role)
        self.principal = principal


class CsrfRefused(Exception):
    """A state-changing request without a valid CSRF token."""


def session_of(request: Request) -> tuple[Principal, str] | None:
    """The request's principal and session nonce, if its cookie is valid."""
    signer: SessionSigner = request.app.state.web.signer
    return signer.read(request.cookies.get(COOKIE))


def csrf_token(request: Request) -> str:
    """The CSRF token of the request's session ('' when not signed in)."""
    found = session_of(request)
    return "" if found is None else request.app.state.web.signer.csrf(found[1])


async def check_csrf(request: Request) -> None:
    """Refuse a state-changing request whose CSRF token is absent or wrong."""
    if request.method in {"GET", "HEAD", "OPTIONS"}:
        return
    found = session_of(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if found is None or not sent:
        raise CsrfRefused
    if not hmac.compare_digest(sent, request.app.state.web.signer.csrf(found[1])):
        raise CsrfRefused


def page_roles(*roles: str) -> Callable[[Request], object]:
    """A dependency: the principal when its role is one of ``roles`` (deny by default)."""
    allowed: Iterable[str] = frozenset(roles)

    async def dependency(request: Request) -> Principal:
        found = session_of(request)
        if found is None:
            raise LoginRequired
        principal = found[0]
        if principal.role not in allowed:
            raise Forbidden(principal)
        await check_csrf(request)
        return principal

    return dependency
