"""Publishing the workbooks to a SharePoint document library through Microsoft Graph
(client-credentials flow). Off unless configured; no real tenant can be reached from here, so it
is kept small: one token request and one PUT per file (Graph's simple upload, files up to 250 MB).
The endpoints are configurable for government clouds (GCC High: graph.microsoft.us,
login.microsoftonline.us)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field

from dps_assets.core.privacy.errors import ExchangeError


class SharePointError(ExchangeError, RuntimeError):
    pass


class SharePointResource(ConfigurableResource):
    """Its settings are the sharepoint section's, which is checked complete when enabled."""

    enabled: bool
    site_id: str | None = Field(description="Graph site id of the document library's site")
    library_path: str | None = Field(description="folder path inside the site's drive")
    tenant_id: str | None
    client_id: str | None
    client_secret: str | None = Field(description="from an environment variable")
    graph_url: str
    login_url: str
    timeout_s: float

    def publish(self, files: list[Path], subfolder: str) -> list[str]:
        """Upload (replacing) each file; returns the web URLs SharePoint gives back."""
        if not self.enabled:
            return []
        if self.library_path is None:
            raise SharePointError("sharepoint.library_path is not set")
        token = self._token()
        urls = []
        drive = f"{self.graph_url.rstrip('/')}/sites/{self.site_id}/drive/root:"
        for path in files:
            remote = urllib.parse.quote(f"{self.library_path.strip('/')}/{subfolder}/{path.name}")
            request = urllib.request.Request(
                f"{drive}/{remote}:/content", data=path.read_bytes(), method="PUT",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"})
            urls.append(self._json(request).get("webUrl", remote))
        return urls

    def _token(self) -> str:
        body = urllib.parse.urlencode({
            "client_id": self.client_id, "client_secret": self.client_secret,
            "scope": f"{_origin(self.graph_url)}/.default", "grant_type": "client_credentials",
        }).encode()
        request = urllib.request.Request(
            f"{self.login_url.rstrip('/')}/{self.tenant_id}/oauth2/v2.0/token", data=body, method="POST")
        token = self._json(request).get("access_token")
        if not token:
            raise SharePointError(f"{request.full_url}: the answer holds no access_token")
        return token

    def _json(self, request: urllib.request.Request) -> dict:
        """One Graph call. A dropped connection, 429 or 5xx is retried after 1 s and 2 s (safe:
        the token request and a PUT that replaces the file can be repeated); anything else is
        an error at once."""
        for wait in (*_RETRY_WAITS_S, None):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    return json.loads(response.read() or b"{}")
            except (OSError, ValueError) as exc:
                transient = (exc.code == 429 or exc.code >= 500) if isinstance(exc, urllib.error.HTTPError) \
                    else isinstance(exc, OSError)
                if wait is None or not transient:
                    raise SharePointError(f"{request.full_url.split('?')[0]}: {exc}") from exc
                time.sleep(wait)  # backoff before the retry, not a synchronisation
        raise AssertionError("unreachable")


_RETRY_WAITS_S = (1.0, 2.0)


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
