"""IP addresses and URLs whose query string carries a secret."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Final

from shoplabel.dataprep.pii.context import after_version_label
from shoplabel.dataprep.pii.spans import PiiKind, PiiSpan

__all__ = ["SECRET_PARAMS", "find_ips", "find_url_tokens", "secret_value_spans"]

_IPV4: Final = re.compile(
    r"(?<![0-9A-Za-z_.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9A-Za-z_])(?!\.[0-9])"
)
_IPV6: Final = re.compile(
    r"(?<![0-9A-Za-z_:.])(?:[0-9A-Fa-f]{0,4}:){2,7}"
    r"(?:[0-9A-Fa-f]{1,4}|(?:[0-9]{1,3}\.){3}[0-9]{1,3})?(?![0-9A-Za-z_:])"
)
_URL: Final = re.compile(
    r"(?<![A-Za-z0-9])(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+"
)
_URL_TRAILER: Final = ".,;:!?)]}'\""
#: Query or fragment parameters whose value is a credential (compared case-insensitively).
_SECRET_NAMES: Final = (
    "token access_token refresh_token id_token auth_token authtoken key apikey api_key sig"
    " signature x-amz-signature x-amz-credential x-amz-security-token awsaccesskeyid session"
    " sessionid session_id sid auth password passwd pwd secret client_secret ticket jwt otp"
)
SECRET_PARAMS: Final = frozenset(_SECRET_NAMES.split())
_PARAM: Final = re.compile(r"(?<=[?&#;])([A-Za-z0-9_.\-]+)=([^&#;]*)")


def find_ips(text: str) -> Iterator[PiiSpan]:
    """Valid IPv4 and IPv6 addresses.

    Every valid IPv4 address is reported (``1.2.3.4`` too) unless a version label such as
    ``version``, ``ver``, ``固件`` or ``版本`` comes right before it. An IPv6 address needs at
    least three groups, so clock times (``12:30``) and MAC addresses never match.
    """
    for m in _IPV4.finditer(text):
        if _is_ip(m.group()) and not after_version_label(text, m.start()):
            yield PiiSpan(PiiKind.IP, m.start(), m.end(), m.group())
    for m in _IPV6.finditer(text):
        raw = m.group()
        if sum(1 for part in raw.split(":") if part) >= 3 and _is_ip(raw):
            yield PiiSpan(PiiKind.IP, m.start(), m.end(), raw)


def find_url_tokens(text: str) -> Iterator[PiiSpan]:
    """Whole URLs (``http(s)://`` or ``www.``) with a secret query or fragment parameter."""
    for m in _URL.finditer(text):
        url = m.group().rstrip(_URL_TRAILER)
        if secret_value_spans(url):
            yield PiiSpan(PiiKind.URL_TOKEN, m.start(), m.start() + len(url), url)


def secret_value_spans(url: str) -> tuple[tuple[int, int], ...]:
    """Offsets of the non-empty secret parameter values in ``url``, in order."""
    query = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=-1)
    if query < 0:
        return ()
    return tuple(
        p.span(2)
        for p in _PARAM.finditer(url, query)
        if p.group(1).lower() in SECRET_PARAMS and p.group(2)
    )


def _is_ip(raw: str) -> bool:
    try:
        ipaddress.ip_address(raw)
    except ValueError:
        return False
    return True
