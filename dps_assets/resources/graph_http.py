"""HTTPS for the SharePoint publisher: Microsoft Graph, and Entra ID's OpenID discovery and token
endpoint (as msal's `http_client`). The server's certificate is checked against the system's CAs
or a configured PEM bundle; each request has a timeout; and Graph's throttling rules are kept:
an answer 429 or 5xx, or a dropped connection, is tried again, after the `Retry-After` the answer
asks for (seconds, or an HTTP date) or else 1 s and then 2 s. A server that asks for a longer wait
than the configured cap is not waited for: the call fails at once and says so. Retrying is safe
for every call made here (discovery, the token request, a PUT that replaces a file)."""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

from dps_assets.core.privacy.errors import ExchangeError

ATTEMPTS = 3
# The waits before the second and third attempt when the answer names none.
DEFAULT_WAITS_S = (1.0, 2.0)
# 429 Too Many Requests; the 5xx a gateway or a busy service answers.
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


class SharePointError(ExchangeError, RuntimeError):
    pass


@dataclass(frozen=True)
class HttpAnswer:
    """An HTTP answer, in the shape msal reads (`status_code`, `text`, `headers`, `raise_for_status`)."""

    url: str  # without its query
    status_code: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # names in lower case

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> dict[str, Any]:
        """The body as a JSON object; {} when it is empty or not one."""
        try:
            value = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise SharePointError(f"{self.url}: HTTP {self.status_code}")


def retry_after_s(value: str | None, now: float) -> float | None:
    """The wait a `Retry-After` header asks for (RFC 9110 §10.2.3: a number of seconds, or an
    HTTP date, read against `now`, seconds since the epoch); None when it names none it can."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - now)


class GraphHttp:
    """One client's HTTPS: `get`, `post` (msal's arguments) and `put`, each answered with an
    `HttpAnswer` whatever its status, after the retries above; a connection that cannot be made
    (after its retries), or a certificate that is not trusted, is a SharePointError."""

    def __init__(self, timeout_s: float, ca_file: str | None, max_retry_wait_s: float,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._timeout_s = timeout_s
        self._tls = ssl.create_default_context(cafile=ca_file)
        self._max_wait_s = max_retry_wait_s
        self._sleep = sleep

    def get(self, url: str, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None,
            **_: object) -> HttpAnswer:
        return self.send("GET", _with_query(url, params), None, headers)

    def post(self, url: str, params: Mapping[str, str] | None = None, data: object = None,
             headers: Mapping[str, str] | None = None, **_: object) -> HttpAnswer:
        body = urllib.parse.urlencode(data).encode() if isinstance(data, Mapping) else \
            data.encode() if isinstance(data, str) else data if isinstance(data, bytes) else b""
        form = {"Content-Type": "application/x-www-form-urlencoded"} if isinstance(data, Mapping) else {}
        return self.send("POST", _with_query(url, params), body, {**form, **(headers or {})})

    def put(self, url: str, data: bytes, headers: Mapping[str, str]) -> HttpAnswer:
        return self.send("PUT", url, data, headers)

    def close(self) -> None:
        """msal's http_client interface; each request has its own connection."""

    def send(self, method: str, url: str, body: bytes | None, headers: Mapping[str, str] | None) -> HttpAnswer:
        where = url.split("?")[0]
        request = urllib.request.Request(url, data=body, method=method,
                                         headers={k: v for k, v in (headers or {}).items() if v is not None})
        for attempt in range(1, ATTEMPTS + 1):
            wait: float | None = None
            try:
                with urllib.request.urlopen(request, timeout=self._timeout_s, context=self._tls) as response:
                    return HttpAnswer(where, response.status, response.read(), _lower(response.headers))
            except urllib.error.HTTPError as exc:
                answer = HttpAnswer(where, exc.code, exc.read(), _lower(exc.headers))
                if exc.code not in TRANSIENT_STATUSES or attempt == ATTEMPTS:
                    return answer
                wait = retry_after_s(answer.headers.get("retry-after"), time.time())
                reason = f"HTTP {exc.code}"
            except (OSError, ValueError) as exc:
                if _untrusted_certificate(exc):
                    raise SharePointError(f"{where}: the server's certificate is not trusted (the system's "
                                          "CAs, or the PEM bundle sharepoint.ca_file names)") from None
                if attempt == ATTEMPTS:
                    raise SharePointError(f"{where}: no answer after {ATTEMPTS} tries "
                                          f"({type(exc).__name__})") from None
                reason = f"no answer ({type(exc).__name__})"
            if wait is None:
                wait = DEFAULT_WAITS_S[attempt - 1]
            elif wait > self._max_wait_s:
                raise SharePointError(f"{where}: {reason}, and the server asks to retry after {wait:.0f} s, "
                                      f"longer than sharepoint.max_retry_wait_s ({self._max_wait_s:g} s)")
            self._sleep(wait)  # the wait the server asked for: a backoff, not a synchronisation
        raise AssertionError("unreachable")


def _with_query(url: str, params: Mapping[str, str] | None) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(params)}" if params else url


def _lower(headers: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (headers.items() if headers is not None else ())}


def _untrusted_certificate(exc: BaseException) -> bool:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    return isinstance(reason, ssl.SSLCertVerificationError)
