"""HTTP to the vendors' APIs: retries, Retry-After, token refresh, a per-run bound, safe errors.

One ``ApiClient`` per API and network per run, on httpx. What every vendor shares is here:

- 429 waits as long as ``Retry-After`` says (seconds or an HTTP date), 5xx, timeouts and dropped
  connections back off exponentially (tenacity), a few times, then fail saying so;
- a 401 with a token source fetches a new token once, then repeats the request;
- a per-run bound on requests and seconds (``Budget``): when it is reached the pull stops between
  two landed pieces and the next run goes on from the cursor;
- a minimum interval between requests (Slack's one request a minute for apps outside its
  Marketplace);
- next-page links are followed only to the API's own origin, so a response cannot send our
  token elsewhere; redirects are never followed with the token;
- errors name the API, the request's path and the vendor's own code and message, never a
  header, a query's values or a response body (responses hold people's names and e-mails).
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from netpulse.errors import PullFailed
from netpulse.safe_text import terminal_value

log = logging.getLogger(__name__)

ATTEMPTS = 6  # a request is tried this often on 429, 5xx and timeouts before the pull fails
MAX_WAIT_SECONDS = 300.0  # longer Retry-After: stop this run, the next one goes on from the cursor
USER_AGENT = "netpulse-pull/1 (+https://github.com/netpulse)"
MAX_RESPONSE_BYTES = 256 << 20  # one response; larger is refused, not read into memory
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class BudgetSpent(Exception):
    """The per-run bound on requests or time was reached."""


class Transient(Exception):
    """A failure worth trying again: 429, 5xx, a timeout, a dropped connection, a refreshed token."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class Budget:
    """At most ``max_requests`` requests and ``max_seconds`` of one run (every stream of a target)."""

    def __init__(self, max_requests: int, max_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.requests_left = max_requests
        self.max_requests = max_requests
        self.clock = clock
        self.deadline = clock() + max_seconds

    @property
    def requests_made(self) -> int:
        return self.max_requests - self.requests_left

    def seconds_left(self) -> float:
        return self.deadline - self.clock()

    def take_request(self) -> None:
        if self.requests_left <= 0:
            raise BudgetSpent(f"the bound of {self.max_requests} requests per run (max_pages) was reached")
        if self.seconds_left() <= 0:
            raise BudgetSpent("the bound on seconds per run (max_seconds) was reached")
        self.requests_left -= 1

    def sleep(self, seconds: float) -> None:
        if seconds > self.seconds_left():
            raise BudgetSpent(f"waiting {seconds:.0f} s as the API asked would pass this run's bound "
                              "on seconds (max_seconds)")
        time.sleep(max(0.0, seconds))


class TokenSource(Protocol):
    def headers(self) -> dict[str, str]: ...

    def invalidate(self) -> None: ...


class ResponseCheck(Protocol):
    """A vendor's reading of a response: raise PullFailed or Transient, or return to accept it."""

    def __call__(self, response: httpx.Response, what: str, needs: str | None) -> None: ...


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (a number or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def body_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python parses
        return None


def short(text: Any, limit: int = 300) -> str:
    """Vendor text for an error message: one line, no control characters, bounded."""
    value = terminal_value(text)
    return value if len(value) <= limit else value[:limit] + "…"


class ApiClient:
    """Requests to one API (``name`` is how errors call it: "Slack", "Microsoft Graph")."""

    def __init__(self, name: str, base_url: str, *, budget: Budget, timeout: float,
                 check: ResponseCheck, headers: dict[str, str] | None = None, auth: TokenSource | None = None,
                 min_interval: float = 0.0, backoff_seconds: float = 1.0, attempts: int = ATTEMPTS,
                 max_bytes: int = MAX_RESPONSE_BYTES):
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.origin = _origin(self.base_url)
        if self.origin[0] != "https" and urlsplit(self.base_url).hostname not in LOOPBACK:
            raise PullFailed(f"{name}'s address {short(self.base_url, 100)} is not https: credentials are never "
                             "sent in clear text (plain http is accepted on this machine's loopback only)")
        self.max_bytes = max_bytes
        self.budget = budget
        self.check = check
        self.auth = auth
        self.min_interval = min_interval
        self.backoff_seconds = backoff_seconds
        self.attempts = attempts
        self.last_request_at: float | None = None
        self.client = httpx.Client(timeout=timeout, follow_redirects=False,
                                   headers={"User-Agent": USER_AGENT, **(headers or {})})

    def close(self) -> None:
        self.client.close()

    def url(self, path_or_url: str) -> str:
        """An absolute URL for a path of the API, or a next-page link of the API's own origin."""
        if path_or_url.startswith(("http://", "https://")):
            if _origin(path_or_url) != self.origin:
                raise PullFailed(f"{self.name} answered with a next-page link to another site "
                                 f"({short(urlsplit(path_or_url).netloc, 80)}); not followed, since it would "
                                 "carry the API's credentials there")
            return path_or_url
        return self.base_url + (path_or_url if path_or_url.startswith("/") else "/" + path_or_url)

    def request(self, method: str, path: str, *, params: Any = None, json: Any = None, data: Any = None,
                what: str | None = None, needs: str | None = None, authenticated: bool = True,
                extra_headers: dict[str, str] | None = None, paced: bool = True) -> httpx.Response:
        """The accepted response; ``what`` names the request in errors, ``needs`` the permission it
        takes (said when the API answers 403); ``paced``: the minimum interval applies to it."""
        url = self.url(path)
        what = what or f"{method} {urlsplit(url).path}"
        refreshed = False

        def send() -> httpx.Response:
            nonlocal refreshed
            if paced:
                self._pace()
            self.budget.take_request()
            headers = dict(extra_headers or {})
            if authenticated and self.auth is not None:
                headers.update(self.auth.headers())
            try:
                response = self._bounded(self.client.build_request(
                    method, url, params=params, json=json, data=data, headers=headers), what)
            except httpx.TimeoutException:
                raise Transient(f"{self.name} did not answer {what} in time") from None
            except httpx.TransportError as exc:
                raise Transient(f"{self.name} could not be reached for {what} ({type(exc).__name__})") from None
            finally:
                if paced:
                    self.last_request_at = time.monotonic()
            log.debug("%s %s -> %s", method, urlsplit(url).path, response.status_code)
            if response.status_code == 429:
                raise Transient(f"{self.name} asked to slow down (429) on {what}", retry_after(response))
            if response.status_code >= 500:
                raise Transient(f"{self.name} failed on {what} ({response.status_code})", retry_after(response))
            if response.status_code == 401 and authenticated and self.auth is not None and not refreshed:
                refreshed = True  # an expired token: fetch a new one, once
                self.auth.invalidate()
                raise Transient(f"{self.name} refused the access token on {what}; fetched a new one", 0.0)
            self.check(response, what, needs)
            return response

        retrying = Retrying(stop=stop_after_attempt(self.attempts), wait=self._wait, sleep=self.budget.sleep,
                            retry=retry_if_exception_type(Transient), reraise=True)
        try:
            return retrying(send)
        except Transient as exc:
            raise PullFailed(f"{exc}, {self.attempts} times: the next run tries again", permanent=False) from None

    def _bounded(self, request: httpx.Request, what: str) -> httpx.Response:
        """The response, read at most ``max_bytes`` and within the run's time: a response that
        never ends, or trickles in a byte at a time, cannot hold the pull or fill memory."""
        streamed = self.client.send(request, stream=True)
        try:
            chunks, size = [], 0
            for chunk in streamed.iter_bytes():  # decoded: a small gzip bomb counts as what it inflates to
                size += len(chunk)
                if size > self.max_bytes:
                    raise PullFailed(f"{self.name} answered {what} with more than {self.max_bytes >> 20} MiB: "
                                     "refused, not read", permanent=False)
                if self.budget.seconds_left() <= 0:
                    raise BudgetSpent(f"{self.name} was still sending {what} when the run's bound on seconds "
                                      "(max_seconds) was reached")
                chunks.append(chunk)
        finally:
            streamed.close()
        headers = [(k, v) for k, v in streamed.headers.items() if k.lower() not in ("content-encoding",
                                                                                    "content-length")]
        return httpx.Response(streamed.status_code, headers=headers, content=b"".join(chunks), request=request)

    def json(self, method: str, path: str, **kwargs) -> Any:
        response = self.request(method, path, **kwargs)
        document = body_json(response)
        if document is None:
            raise PullFailed(f"{self.name} answered {kwargs.get('what') or path} with something that is not "
                             "JSON", permanent=False)
        return document

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Transient) and exc.retry_after is not None:
            if exc.retry_after > MAX_WAIT_SECONDS:
                raise BudgetSpent(f"{self.name} asked to wait {exc.retry_after:.0f} s: the next run goes on")
            return exc.retry_after
        return self.backoff_seconds * 2 ** (state.attempt_number - 1)

    def _pace(self) -> None:
        if self.min_interval and self.last_request_at is not None:
            wait = self.min_interval - (time.monotonic() - self.last_request_at)
            if wait > 0:
                self.budget.sleep(wait)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class Refused(PullFailed):
    """The API answered a request with a 4xx that retrying cannot mend; ``status`` is its code."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def refused(name: str, response: httpx.Response, what: str, needs: str | None, message: str) -> Refused:
    """The error for a 401/403/404 that retrying cannot mend: the vendor's words and what to do."""
    status = response.status_code
    if status == 403 and needs:
        advice = f"the app needs {needs}"
    elif status == 401:
        advice = "the credentials in the Airflow connection were refused: check or renew them"
    elif status == 404:
        advice = "it does not exist or the app cannot see it: check the id in the networks file"
    else:
        advice = "see docs/pulling.md"
    return Refused(f"{name} refused {what} ({status}: {short(message) or 'no reason given'}): {advice}", status)


def issued_token(name: str, document: Any, lifetime: float, advice: str = "") -> tuple[str, float]:
    """(access token, lifetime in seconds) of an OAuth token endpoint's answer."""
    token = document.get("access_token") if isinstance(document, dict) else None
    if not token:
        raise PullFailed(f"{name} issued no access token{advice}")
    return str(token), float(document.get("expires_in") or lifetime)


class OAuthClientCredentials:
    """An OAuth 2.0 client-credentials token (Zoom Server-to-Server, Microsoft identity platform),
    fetched when first needed, again when it is about to expire or the API refused it."""

    def __init__(self, fetch: Callable[[], tuple[str, float]]):
        self.fetch = fetch  # -> (access token, lifetime in seconds)
        self.token: str | None = None
        self.expires_at = 0.0

    def headers(self) -> dict[str, str]:
        if self.token is None or time.monotonic() > self.expires_at - 60:
            self.token, lifetime = self.fetch()
            self.expires_at = time.monotonic() + lifetime
        return {"Authorization": f"Bearer {self.token}"}

    def invalidate(self) -> None:
        self.token = None
