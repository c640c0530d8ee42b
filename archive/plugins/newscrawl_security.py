"""Security headers: defence in depth for pages that show scraped text.

Every scraped value is escaped before it reaches a page; these headers make a mistake
in that escaping much less useful to an attacker.

* Every response: a Content-Security-Policy that allows only this origin (no remote
  scripts, styles, images, frames or form targets; no plugins; no ``<base>``), plus
  ``nosniff``, ``no-referrer`` and no framing. Datasette's own pages use inline
  ``<script>`` blocks (table.html, the SQL editor), so they keep ``'unsafe-inline'``.
* The newscrawl pages (``/-/article/...``, ``/-/charts/...``), where article bodies and
  artist names are rendered, run no script of their own: their policy allows exactly one
  inline script, Datasette's menu-closing snippet, by its sha256 hash, and nothing else.
* Only GET, HEAD and OPTIONS reach Datasette; anything else is a 405 (the archive is
  read-only).

Self-contained (standard library and Datasette only) so that ``datasette publish ...
--plugins-dir archive/plugins`` works without installing newscrawl.
"""

import base64
import hashlib
import re

from datasette import hookimpl

STRICT_PREFIXES = ("/-/article/", "/-/charts/")
COMMON = (
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
EXTRA_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
OURS = {b"content-security-policy"} | {name for name, _ in EXTRA_HEADERS}
# The archive is read-only: no request that could write reaches Datasette (0.65 answers
# a POST to a table with a 500 and a traceback; there are no writable canned queries).
READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def relaxed_policy():
    """The policy for Datasette's own pages."""
    return "; ".join(("default-src 'self'", "script-src 'self' 'unsafe-inline'", *COMMON))


def strict_policy(script_hashes):
    """The policy for newscrawl pages: only the listed inline scripts may run."""
    sources = " ".join(f"'sha256-{h}'" for h in script_hashes) or "'none'"
    return "; ".join(("default-src 'none'", f"script-src {sources}", *COMMON))


def inline_script_hashes(datasette, template="_close_open_menus.html"):
    """sha256 (base64) of each inline script in a template base.html includes."""
    try:
        source, _, _ = datasette.jinja_env.loader.get_source(datasette.jinja_env, template)
    except Exception:  # noqa: BLE001 - a missing template only costs the menu script
        return []
    return [
        base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
        for script in re.findall(r"<script>(.*?)</script>", source, flags=re.DOTALL)
    ]


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        policies = {}

        async def with_security_headers(scope, receive, send):
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            base = (datasette.setting("base_url") or "/").rstrip("/")
            path = scope.get("path", "")
            if base and path.startswith(base):
                path = path[len(base) :]
            strict = path.startswith(STRICT_PREFIXES)
            if strict not in policies:
                policies[strict] = (
                    strict_policy(inline_script_hashes(datasette)) if strict else relaxed_policy()
                )
            policy = policies[strict].encode("ascii")

            if scope.get("method", "GET") not in READ_METHODS:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 405,
                        "headers": [
                            (b"allow", b"GET, HEAD, OPTIONS"),
                            (b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-security-policy", policy),
                            *EXTRA_HEADERS,
                        ],
                    }
                )
                await send(
                    {"type": "http.response.body", "body": b"Method not allowed: read-only\n"}
                )
                return

            async def send_with_headers(message):
                if message["type"] == "http.response.start":
                    headers = [
                        (name, value)
                        for name, value in message.get("headers", [])
                        if name.lower() not in OURS
                    ]
                    headers.append((b"content-security-policy", policy))
                    headers.extend(EXTRA_HEADERS)
                    message = dict(message, headers=headers)
                await send(message)

            await app(scope, receive, send_with_headers)

        return with_security_headers

    return wrap
