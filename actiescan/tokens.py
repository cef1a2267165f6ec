"""Secrets at rest: the tokens of share links and the present codes are stored only as a hash.

A database copy (a backup, an export, a look in the admin) then holds no working link or code.
The plain token exists once, on the object that created it (`link.token`, `code.code`), to be
shown to its creator or mailed right away. A lookup hashes what was typed and compares hashes.

SHA-256 without a salt or key: share-link tokens carry 256 random bits, so a fast hash is as
safe as a slow one, and a hash that does not depend on SECRET_KEY keeps links working when the
key is rotated. Present codes are shorter (40 bits) but live a few hours at most."""

import hashlib


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
