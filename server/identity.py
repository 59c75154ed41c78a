"""Sign-in with the organisation's identity provider (R-AUTH-1): OpenID Connect access
tokens (JWT) checked with PyJWT.

Checked: the signature against the provider's published keys (JWKS), `exp`, `nbf`, `iss`,
`aud`, and the algorithm against an allow-list (never `none`, never an HMAC secret made of
a public key). Any failure is the same answer, "not signed in": a caller learns nothing
about which check failed.

Keys are fetched with an async HTTP client (the event loop never waits on the network
while other requests are served), cached for `oidc_jwks_cache_seconds`, and fetched again
at once when a token names a key id (`kid`) the cache does not hold, at most every
`oidc_jwks_min_refresh_seconds`, so random key ids cannot make Relate hammer the provider.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
import jwt
from jwt import PyJWK, PyJWKSet

from server.settings import Settings

log = logging.getLogger("relate.identity")
FETCH_TIMEOUT_SECONDS = 5.0


def looks_like_jwt(token: str) -> bool:
    """Relate's own tokens have no dots; a compact JWS has exactly two."""
    return token.count(".") == 2


class KeySet:
    """The provider's signing keys by `kid`, fetched lazily and refreshed as described above."""

    def __init__(self, url: str, cache_seconds: float, min_refresh_seconds: float) -> None:
        self.url = url
        self.cache_seconds = cache_seconds
        self.min_refresh_seconds = min_refresh_seconds
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> PyJWK | None:
        now = time.monotonic()
        if self._fetched_at is None or now - self._fetched_at > self.cache_seconds:
            await self._refresh(now, force=True)
        elif kid not in self._keys and now - self._fetched_at >= self.min_refresh_seconds:
            await self._refresh(now, force=False)
        if kid is None:
            return next(iter(self._keys.values())) if len(self._keys) == 1 else None
        return self._keys.get(kid)

    async def _refresh(self, asked_at: float, *, force: bool) -> None:
        async with self._lock:
            if self._fetched_at is not None and self._fetched_at >= asked_at and not force:
                return  # another request refreshed while this one waited
            try:
                async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_SECONDS) as client:
                    response = await client.get(self.url)
                    response.raise_for_status()
                    found = PyJWKSet.from_dict(response.json())
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
                log.warning("identity provider keys could not be fetched from %s: %s", self.url, exc)
                if self._fetched_at is None:
                    return
                self._fetched_at = time.monotonic()  # keep the old keys; try again later
                return
            self._keys = {k.key_id: k for k in found.keys if k.key_id}
            if not self._keys and len(found.keys) == 1:
                self._keys = {"": found.keys[0]}
            self._fetched_at = time.monotonic()


class IdentityProvider:
    """Verifies access tokens of one configured issuer; see the module docstring."""

    def __init__(self, settings: Settings) -> None:
        assert settings.oidc_issuer and settings.oidc_jwks_url and settings.oidc_audience
        self.issuer = settings.oidc_issuer
        self.audience = settings.oidc_audience
        self.algorithms = [a for a in settings.oidc_algorithms if a.lower() != "none"]
        self.claim = settings.oidc_user_claim
        self.leeway = settings.oidc_leeway_seconds
        self.keys = KeySet(settings.oidc_jwks_url, settings.oidc_jwks_cache_seconds,
                           settings.oidc_jwks_min_refresh_seconds)
        self.jit_unit = settings.oidc_jit_business_unit
        self.jit_role = settings.oidc_jit_role

    @classmethod
    def configured(cls, settings: Settings) -> IdentityProvider | None:
        if settings.oidc_issuer and settings.oidc_jwks_url and settings.oidc_audience:
            return cls(settings)
        return None

    async def verified_claims(self, token: str) -> dict[str, Any] | None:
        """The token's claims when every check passes, else None."""
        try:
            header = jwt.get_unverified_header(token)
            algorithm = header.get("alg")
            if algorithm not in self.algorithms:
                return None
            key = await self.keys.key(header.get("kid"))
            if key is None:
                return None
            claims: dict[str, Any] = jwt.decode(
                token, key=key, algorithms=[algorithm], audience=self.audience, issuer=self.issuer,
                leeway=self.leeway, options={"require": ["exp", "iss", "aud"]},
            )
        except (jwt.PyJWTError, ValueError, TypeError):
            return None
        value = claims.get(self.claim)
        return claims if isinstance(value, str) and value.strip() else None

    def user_key(self, claims: dict[str, Any]) -> str:
        """What names the user: the configured claim, matched against users' emails."""
        return str(claims[self.claim]).strip().lower()
