"""The RSA key that signs the sandbox's JWTs (RS256, like Xero), and its JWKS.

The key is derived from SECRET_KEY with a seeded prime search, so every process of one
installation signs and verifies with the same key without storing it anywhere. It is a
test double's key: predictable from SECRET_KEY, never usable outside the sandbox.
"""

from __future__ import annotations

import hashlib
import json
import random
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from jwt.algorithms import RSAAlgorithm

PUBLIC_EXPONENT = 65537
SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p**0.5) + 1))]


def _probably_prime(n: int, rng: random.Random, rounds: int = 32) -> bool:
    if any(n % p == 0 for p in SMALL_PRIMES):
        return n in SMALL_PRIMES
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(rounds):
        x = pow(rng.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(rng: random.Random, bits: int) -> int:
    while True:
        candidate = rng.getrandbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if (candidate - 1) % PUBLIC_EXPONENT and _probably_prime(candidate, rng):
            return candidate


@lru_cache(maxsize=2)
def _key_for(seed: str) -> tuple[str, rsa.RSAPrivateKey]:
    rng = random.Random(hashlib.sha256(f"xero-sandbox-rsa:{seed}".encode()).digest())  # nosec B311  # the sandbox's deterministic test signing key from a seed, never a real key
    p, q = _prime(rng, 1024), _prime(rng, 1024)
    n, phi = p * q, (p - 1) * (q - 1)
    d = pow(PUBLIC_EXPONENT, -1, phi)
    public = rsa.RSAPublicNumbers(PUBLIC_EXPONENT, n)
    private = rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), public).private_key()
    kid = hashlib.sha256(str(n).encode()).hexdigest()[:32].upper()
    return kid, private


def signing_key() -> tuple[str, rsa.RSAPrivateKey]:
    """Return (key id, private key) of this installation."""
    return _key_for(settings.SECRET_KEY)


def jwks() -> dict[str, Any]:
    """Return the public key set, as identity.xero.com/.well-known/openid-configuration/jwks does."""
    kid, private = signing_key()
    jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return {"keys": [jwk]}
