"""Publishing the report workbooks to a SharePoint document library through Microsoft Graph.

The app's token comes from msal's client-credentials flow (`ConfidentialClientApplication`,
`acquire_token_for_client`), against the authority `<login_url>/<tenant_id>` for the scope
`<Graph's origin>/.default`: commercial tenants use login.microsoftonline.com and
graph.microsoft.com, US government ones (GCC High, DoD) login.microsoftonline.us and
graph.microsoft.us / dod-graph.microsoft.us. msal reads the authority's OpenID configuration
(`<authority>/v2.0/.well-known/openid-configuration`) for its token endpoint; instance discovery
is off, since the authority is the operator's own setting and would otherwise be checked against
the commercial cloud's login.microsoftonline.com. The token is kept in msal's in-memory cache for
the life of the process (one run), so a run's reports share one token; it is never written down.

Each workbook is one PUT (Graph's simple upload, files up to 250 MB) that replaces the file of
the same name, and Graph's answer names its web address (`webUrl`). All HTTP goes through
`graph_http.GraphHttp`: TLS checked against `ca_file` or the system's CAs, `Retry-After` kept."""

from __future__ import annotations

import hashlib
import threading
import urllib.parse
from pathlib import Path

import msal
from dagster import ConfigurableResource
from pydantic import Field

from dps_assets.resources.graph_http import GraphHttp, SharePointError

__all__ = ["SharePointError", "SharePointResource"]

_LOCK = threading.Lock()
# One msal application (its token cache, its authority's endpoints) per set of settings, per process.
_APPLICATIONS: dict[tuple[str, ...], tuple[msal.ConfidentialClientApplication, GraphHttp]] = {}


class SharePointResource(ConfigurableResource):
    """Its settings are the sharepoint section's, which is checked complete when enabled."""

    enabled: bool
    site_id: str | None = Field(description="Graph site id of the document library's site")
    library_path: str | None = Field(description="folder path inside the site's drive")
    tenant_id: str | None = Field(description="the Entra ID tenant (directory) id")
    client_id: str | None = Field(description="the app registration's application (client) id")
    client_secret: str | None = Field(description="from an environment variable")
    graph_url: str = Field(description="Microsoft Graph's endpoint, e.g. https://graph.microsoft.us/v1.0")
    login_url: str = Field(description="the Entra ID authority host, e.g. https://login.microsoftonline.us")
    ca_file: str | None = Field(description="PEM bundle trusted for Graph's and the authority's "
                                "certificates; default: the system's")
    timeout_s: float = Field(description="per HTTP request")
    max_retry_wait_s: float = Field(description="the longest Retry-After waited for; a longer one fails the call")

    def publish(self, path: Path, subfolder: str) -> str | None:
        """Upload `path` into `<library_path>/<subfolder>/`, replacing the file of its name, and
        return its web address; None when publishing is off."""
        if not self.enabled:
            return None
        if self.library_path is None or self.site_id is None:
            raise SharePointError("sharepoint.site_id and sharepoint.library_path must be set")
        application, http = self._application()
        token = self._token(application)
        remote = urllib.parse.quote(f"{self.library_path.strip('/')}/{subfolder}/{path.name}")
        url = f"{self.graph_url.rstrip('/')}/sites/{self.site_id}/drive/root:/{remote}:/content"
        answer = http.put(url, data=path.read_bytes(),
                          headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"})
        if answer.status_code not in (200, 201):
            code = answer.json().get("error", {})
            code = code.get("code") if isinstance(code, dict) else code
            raise SharePointError(f"{answer.url}: the upload of {path.name} was refused: HTTP {answer.status_code}"
                                  + (f" ({code})" if isinstance(code, str) else ""))
        web_url = answer.json().get("webUrl")
        if not (isinstance(web_url, str) and web_url.startswith("https://")):
            raise SharePointError(f"{answer.url}: Graph's answer to the upload of {path.name} has no web address")
        return web_url

    @property
    def authority(self) -> str:
        return f"{self.login_url.rstrip('/')}/{self.tenant_id}"

    def _application(self) -> tuple[msal.ConfidentialClientApplication, GraphHttp]:
        secret = self.client_secret or ""
        key = (self.authority, self.client_id or "", hashlib.sha256(secret.encode()).hexdigest(),
               self.ca_file or "", repr(self.timeout_s), repr(self.max_retry_wait_s))
        with _LOCK:
            if key not in _APPLICATIONS:
                http = GraphHttp(self.timeout_s, self.ca_file, self.max_retry_wait_s)
                try:
                    application = msal.ConfidentialClientApplication(
                        self.client_id, client_credential=secret, authority=self.authority,
                        token_cache=msal.TokenCache(), http_client=http, instance_discovery=False)
                except ValueError:  # msal's text quotes the answer: not repeated
                    raise SharePointError(f"{self.authority}: its OpenID configuration "
                                          "(/v2.0/.well-known/openid-configuration) could not be read: is "
                                          "sharepoint.login_url the authority host and tenant_id the tenant?") from None
                _APPLICATIONS[key] = (application, http)
            return _APPLICATIONS[key]

    def _token(self, application: msal.ConfidentialClientApplication) -> str:
        try:
            result = application.acquire_token_for_client(scopes=[f"{_origin(self.graph_url)}/.default"])
        except ValueError:  # an answer that is not JSON
            raise SharePointError(f"{self.authority}: the token endpoint's answer is not JSON") from None
        token = result.get("access_token") if isinstance(result, dict) else None
        if isinstance(token, str) and token:
            return token
        error = result.get("error", "no access_token") if isinstance(result, dict) else "no answer"
        codes = result.get("error_codes") if isinstance(result, dict) else None
        aadsts = f" (AADSTS{', AADSTS'.join(str(c) for c in codes)})" if isinstance(codes, list) and codes else ""
        raise SharePointError(f"{self.authority}: no token for client {self.client_id}: {error}{aadsts}")


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
