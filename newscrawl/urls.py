"""URL canonicalisation and domain checks.

Discovered URLs are canonicalised before de-duplication so that the same article
reached through a feed, a sitemap and a listing with tracking parameters is one
request; after fetching, the page's own ``rel=canonical`` wins (see the extract step).
"""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

# Query parameters that identify a campaign, a click or a session, never a page.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "cmpid",
        "ocid",
        "smid",
        "sr_share",
        "ito",
        "ns_mchannel",
        "ns_source",
        "ns_campaign",
        "ns_linkname",
        "ns_fee",
        "share",
        "ref_src",
        "ref_url",
        "sessionid",
        "session_id",
        "phpsessid",
        "jsessionid",
        "aspsessionid",
        "cfid",
        "cftoken",
        "trk",
        "xtor",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_", "at_", "__hs")
# ;jsessionid=... style path parameters.
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sid|sessionid)=[^/?#;]*", re.IGNORECASE)
DEFAULT_PORTS = {"http": 80, "https": 443}
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _normalize_escapes(text: str, *, safe: str) -> str:
    """Percent-escapes in normal form (RFC 3986, 6.2.2): escaped unreserved characters
    decoded (``%7E`` is ``~``), every other escape kept with upper-case hex, and what must
    be escaped escaped as UTF-8. Never decoding ``%2F``, ``%25`` or bytes that are not
    UTF-8 text (``%E9`` on a Latin-1 site) keeps the URL pointing at the same page."""

    def unescape(match: re.Match) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return quote(_ESCAPE.sub(unescape, text), safe=safe + "%")


# ``sid`` is a session id on some sites (phpBB: 32 hex digits) and the article's id on
# others (PHP-Nuke's article.php?sid=101): only a value shaped like a session token goes.
_SESSION_TOKEN = re.compile(r"[0-9a-f]{16,}|[0-9a-z]{24,}", re.IGNORECASE)


def is_tracking_param(name: str, value: str = "") -> bool:
    """True for query parameters that never change which page is served."""
    lowered = name.lower()
    if lowered == "sid":
        return bool(_SESSION_TOKEN.fullmatch(value))
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def ascii_host(host: str) -> str:
    """``host`` lower-cased, an internationalised name in its ASCII (punycode) form,
    which is what requests use: ``bücher.test`` and ``xn--bcher-kva.test`` are one host."""
    host = host.lower().rstrip(".")
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


@functools.lru_cache(maxsize=16384)
def canonicalize_url(url: str) -> str:
    """Return a canonical form of ``url`` for de-duplication.

    Lower-cases scheme and host, drops default ports, fragments, tracking and session
    parameters, sorts the remaining query parameters, normalises percent-escapes and
    gives an empty path as ``/``. Returns the input unchanged (stripped) if it is not
    an http(s) URL that can be parsed.

    Cached (a pure function of the string): a crawl canonicalises each article URL about
    seven times, once per channel and step that meets it.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS or not parts.hostname:
            return url
        host = ascii_host(parts.hostname)
        port = parts.port
    except ValueError:
        return url
    netloc = host if ":" not in host else f"[{host}]"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = _PATH_SESSION.sub("", parts.path) or "/"
    path = _normalize_escapes(path, safe="/:@!$&'()*+,;=-._~")
    # Latin-1 maps each escaped byte to one character and back: values that are not
    # UTF-8 text survive the round trip unchanged.
    query = _normalize_escapes(parts.query, safe="/?:@!$&'()*+,;=-._~")
    query_pairs = [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=True, encoding="latin-1")
        if not is_tracking_param(k, v)
    ]
    query = urlencode(sorted(query_pairs), doseq=True, encoding="latin-1")
    return urlunsplit((scheme, netloc, path, query, ""))


def hostname(url: str) -> str:
    """The lower-cased host of ``url`` ('' when it has none or cannot be parsed)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def site_of(url: str) -> str:
    """``host`` or ``host:port`` (non-default port) of ``url``: which site serves it.

    Local demo publishers share 127.0.0.1 and differ by port, so comparing hosts alone
    would call them one site.
    """
    try:
        host, port = host_and_port(url)
    except ValueError:
        return ""
    return f"{host}:{port}" if port else host


def host_and_port(url: str) -> tuple[str, int | None]:
    """The lower-cased host and explicit non-default port of ``url``."""
    parts = urlsplit(url)
    host = ascii_host(parts.hostname or "")
    try:
        port = parts.port
    except ValueError:
        port = None
    if port == DEFAULT_PORTS.get(parts.scheme.lower()):
        port = None
    return host, port


def domain_allowed(url: str, allowed_domains: list[str] | tuple[str, ...]) -> bool:
    """True when ``url`` is on one of ``allowed_domains`` or a subdomain of one.

    An entry may carry a port (``127.0.0.1:8101``) for local sites; it then matches
    only that port. An entry without a port matches any port.
    """
    try:
        host, port = host_and_port(url)
    except ValueError:
        return False
    if not host:
        return False
    for entry in allowed_domains:
        entry_host, _, entry_port = entry.lower().partition(":")
        entry_host = ascii_host(entry_host)
        if entry_port and str(port or "") != entry_port:
            continue
        if host == entry_host or host.endswith("." + entry_host):
            return True
    return False
