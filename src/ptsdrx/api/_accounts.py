"""Staff accounts: create, disable, list, log in (with lockout), refresh-token rotation.

Every function runs in one registry transaction and audits what it did (failed logins and
refused refresh tokens too). A refresh token is used once: using it returns a new one in
the same family; presenting an already used token again (a stolen copy) revokes the whole
family, so both the thief's and the owner's tokens stop working.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ptsdrx.api import _security
from ptsdrx.registry import Registry, RegistryError
from ptsdrx.registry._db import utcnow
from ptsdrx.registry._models import RefreshTokenRow, UserRow

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"


class LoginError(Exception):
    """Login refused; the message is the same whatever the reason (no account probing)."""


@dataclass(frozen=True)
class User:
    """A staff account as shown to admins (never the hash)."""

    id: int
    username: str
    role: str
    disabled: bool
    locked_until: datetime | None
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id,
            "username": self.username,
            "role": self.role,
            "disabled": self.disabled,
            "locked_until": None if self.locked_until is None else self.locked_until.isoformat(),
            "created_at": self.created_at.isoformat() + "Z",
        }


def _user(row: UserRow) -> User:
    return User(row.id, row.username, row.role, row.disabled, row.locked_until, row.created_at)


def _by_name(session: Session, username: str, *, lock: bool = False) -> UserRow | None:
    stmt = select(UserRow).where(UserRow.username == username)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def add_user(
    registry: Registry, username: str, role: str, password: str, *, min_length: int
) -> User:
    """Create an account; :class:`RegistryError` or :class:`WeakPasswordError` when refused."""
    import re

    if not re.fullmatch(USERNAME_PATTERN, username):
        raise RegistryError(
            "user name must be 2-64 characters: lower-case letters, digits, '.', '_', '-'"
        )
    if role not in _security.ROLES:
        raise RegistryError(f"role must be one of {', '.join(_security.ROLES)}, got {role!r}")
    _security.check_password(password, username=username, min_length=min_length)
    hashed = _security.hash_password(password)
    with registry.transaction() as session:
        if _by_name(session, username) is not None:
            raise RegistryError(f"user {username!r} already exists")
        row = UserRow(
            username=username,
            role=role,
            password_hash=hashed,
            disabled=False,
            failed_logins=0,
            created_at=utcnow(),
            created_by=registry.actor,
        )
        session.add(row)
        session.flush()
        registry.audit(session, "create", "user", None, user=username, role=role)
        return _user(row)


def disable_user(registry: Registry, username: str) -> User:
    """Disable an account and revoke its refresh tokens (audited)."""
    with registry.transaction() as session:
        row = _by_name(session, username, lock=True)
        if row is None:
            raise RegistryError(f"no user {username!r}")
        row.disabled = True
        now = utcnow()
        session.execute(
            update(RefreshTokenRow)
            .where(RefreshTokenRow.user_id == row.id, RefreshTokenRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        registry.audit(session, "update", "user", None, user=username, disabled=True)
        return _user(row)


def list_users(registry: Registry) -> list[User]:
    """Every account, by name."""
    with registry.transaction() as session:
        rows = session.scalars(select(UserRow).order_by(UserRow.username)).all()
        return [_user(r) for r in rows]


def active_user(session: Session, user_id: int) -> UserRow | None:
    """The account behind a token, if it still exists and is enabled."""
    row = session.get(UserRow, user_id)
    if row is None or row.disabled:
        return None
    return row


def authenticate(
    registry: Registry, username: str, password: str, *, attempts: int, lock_minutes: int
) -> User:
    """The user when the password is right and the account open; else :class:`LoginError`.

    Each failure is counted; ``attempts`` failures in a row lock the account for
    ``lock_minutes`` (logins during the lock fail even with the right password).
    """
    now = utcnow()
    outcome: str
    with registry.transaction() as session:
        row = _by_name(session, username, lock=True)
        if row is None:
            _security.burn_verify(password)
            outcome = "unknown user"
        elif row.disabled:
            _security.burn_verify(password)
            outcome = "disabled"
        elif row.locked_until is not None and row.locked_until > now:
            _security.burn_verify(password)
            outcome = "locked"
        elif _security.verify_password(password, row.password_hash):
            row.failed_logins = 0
            row.locked_until = None
            registry.audit(session, "execute", "login", None, user=username)
            return _user(row)
        else:
            row.failed_logins += 1
            outcome = "wrong password"
            if row.failed_logins >= attempts:
                row.locked_until = now + timedelta(minutes=lock_minutes)
                row.failed_logins = 0
                outcome = "wrong password; account locked"
        registry.audit(
            session, "execute", "login", None, outcome="failure", user=username, reason=outcome
        )
    raise LoginError("user name or password is wrong, or the account is locked or disabled")


def issue_refresh(
    session: Session, user_id: int, *, hours: int, family: str | None = None
) -> tuple[str, int]:
    """A new refresh token for ``user_id`` (a new family unless given); (token, seconds)."""
    token = _security.new_refresh_token()
    now = utcnow()
    session.add(
        RefreshTokenRow(
            user_id=user_id,
            family=family or uuid.uuid4().hex,
            token_hash=_security.digest(token),
            issued_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    return token, hours * 3600


def rotate_refresh(registry: Registry, token: str, *, hours: int) -> tuple[UserRow, str, int]:
    """Use a refresh token: (user, new token, lifetime); :class:`LoginError` when refused.

    A token already used (or revoked) revokes its whole family: a replayed copy is taken as
    stolen. The refusal is committed (with its audit entry) before the error is raised.
    """
    now = utcnow()
    reason: str
    with registry.transaction() as session:
        row = session.scalars(
            select(RefreshTokenRow)
            .where(RefreshTokenRow.token_hash == _security.digest(token))
            .with_for_update()
        ).first()
        if row is None:
            reason = "unknown refresh token"
        elif row.used_at is not None or row.revoked_at is not None:
            session.execute(
                update(RefreshTokenRow)
                .where(RefreshTokenRow.family == row.family, RefreshTokenRow.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            reason = "refresh token reused after rotation; family revoked"
        elif row.expires_at <= now:
            reason = "refresh token expired"
        else:
            user = active_user(session, row.user_id)
            if user is None:
                reason = "account disabled"
            else:
                row.used_at = now
                new, seconds = issue_refresh(session, user.id, hours=hours, family=row.family)
                registry.audit(session, "execute", "token_refresh", None, user=user.username)
                return user, new, seconds
        registry.audit(session, "execute", "token_refresh", None, outcome="denied", reason=reason)
    raise LoginError(reason)


def revoke_family(registry: Registry, token: str) -> bool:
    """Log out: revoke the family of ``token``; False when the token is unknown."""
    with registry.transaction() as session:
        row = session.scalars(
            select(RefreshTokenRow).where(RefreshTokenRow.token_hash == _security.digest(token))
        ).first()
        if row is None:
            return False
        session.execute(
            update(RefreshTokenRow)
            .where(RefreshTokenRow.family == row.family, RefreshTokenRow.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        registry.audit(session, "execute", "logout", None)
        return True
