"""The RS256 key the sandbox signs OpenID Connect id_tokens with and publishes at its JWKS endpoint."""

from __future__ import annotations

import base64
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _uint(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class SigningKey:
    """RS256 key for id_tokens, published at the JWKS endpoint."""

    kid = "sandbox1"

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict:
        numbers = self._key.public_key().public_numbers()
        return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": _uint(numbers.n),
                "e": _uint(numbers.e)}

    def sign(self, claims: dict) -> str:
        # intuitlib reads the header and claims with plain base64 (not base64url); keep both free of '-' and '_'.
        header = b64url(json.dumps({"kid": self.kid, "alg": "RS256"}, separators=(",", ":")).encode())
        for pad in range(64):
            body = b64url(json.dumps({**claims, "pad": "x" * pad}, separators=(",", ":")).encode())
            if "-" not in body and "_" not in body:
                break
        signing_input = f"{header}.{body}".encode()
        signature = self._key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{body}.{b64url(signature)}"
