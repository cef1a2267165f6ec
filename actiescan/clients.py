"""The address of the real client, the one rule for every per-client limit (login lockouts,
share-link and present-code guessing, password resets).

Behind TRUSTED_PROXY_COUNT proxies that each append the address they received the request from to
X-Forwarded-For, the client is the N-th address from the right: everything left of it was sent
by the client itself and can be made up. Without proxies it is REMOTE_ADDR.

Why not django-ipware: its proxy count counts the proxies listed *inside* the header, and with
one nginx in front (which lists only the client) `proxy_count=1` found no address and
`proxy_count=0` picked the left-most entry, which the client controls."""

import hashlib
import ipaddress

from django.conf import settings


def client_address(request) -> str:
    """The client's IP address as text ("" when there is none)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote  # not through all our proxies: then the sender itself is the client
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def client_fingerprint(request, purpose: str) -> str:
    """A hash of the client's address for one purpose: enough to count attempts per client,
    without storing the address itself."""
    return hashlib.sha256(f"{client_address(request)}|{purpose}".encode()).hexdigest()[:32]


def axes_client_ip(request) -> str:
    """AXES_CLIENT_IP_CALLABLE: django-axes counts wrong passwords per this address."""
    return client_address(request)
