"""Which hosts a source's child sitemaps may be fetched from.

Publishers often serve a sitemap index from their own host and its child sitemaps from
another: a CDN (``cdn.publisher.com/sitemaps/...``), or the bare domain when the source
is configured as ``www.publisher.com``. A crawler that follows only ``allowed_domains``
loses every article those children list; one that follows any host lets a sitemap send
it anywhere. The rule here is the one sitemaps.org and the big crawlers apply: a child
sitemap belongs to the publisher when it is on the index's own host, on the source's
``allowed_domains``, or on another host of the publisher's registrable domain (the
domain under its public suffix: ``cdn.popwire.co.uk`` and ``www.popwire.co.uk`` are one
publisher, ``a.github.io`` and ``b.github.io`` are not).
"""

from __future__ import annotations

import functools
import ipaddress

from tldextract import TLDExtract

from newscrawl.sources import Source
from newscrawl.urls import ascii_host, domain_allowed, host_and_port

# The Public Suffix List snapshot that ships with tldextract (Scrapy depends on it):
# never fetched at run time, so a crawl asks nothing of the network but publishers.
# Private suffixes (github.io, blogspot.com) count: each user's site is its own.
_SPLIT = TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str:
    """The registrable domain of ``host`` (``www.popwire.co.uk`` -> ``popwire.co.uk``).

    An IP address, a single-label name (``localhost``) or a host that is itself a
    public suffix is its own site. A name whose top-level label is not on the list
    (``cdn.tiny.test``) follows the list's default rule: the last label is the suffix.
    """
    host = ascii_host(host)
    if _is_ip(host) or "." not in host:
        return host
    parts = _SPLIT(host)
    if parts.suffix:
        return parts.top_domain_under_public_suffix or host
    return ".".join(host.split(".")[-2:])


def _host(entry_or_url: str) -> str:
    if "//" in entry_or_url:
        return host_and_port(entry_or_url)[0]
    return ascii_host(entry_or_url.partition(":")[0])


def publisher_sites(source: Source) -> set[str]:
    """The registrable domains of the source's ``allowed_domains`` and ``homepage``;
    none for IP addresses and single-label names (local sites, told apart by port)."""
    hosts = {_host(entry) for entry in source.allowed_domains} | {_host(source.homepage)}
    return {registrable_domain(h) for h in hosts if "." in h and not _is_ip(h)}


def child_sitemap_refusal(child_url: str, index_url: str, source: Source) -> str | None:
    """None when the child sitemap ``child_url`` listed by ``index_url`` is the
    publisher's to follow; otherwise why not (for the log)."""
    try:
        child = host_and_port(child_url)
        parent = host_and_port(index_url)
    except ValueError:
        return "its URL cannot be parsed"
    if not child[0]:
        return "its URL has no host"
    if child == parent or domain_allowed(child_url, source.allowed_domains):
        return None
    sites = publisher_sites(source)
    if not _is_ip(child[0]) and registrable_domain(child[0]) in sites:
        return None
    return (
        f"{child[0]} is not the index's host, not on allowed_domains"
        f" {list(source.allowed_domains)}"
        + (f" and not under {', '.join(sorted(sites))}" if sites else "")
    )


def refused_children(children: list[str], index_url: str, source: Source) -> dict[str, list[str]]:
    """The child sitemaps of ``index_url`` not to follow, grouped by why (one log line
    per reason, not one per child: an index may list thousands)."""
    refused: dict[str, list[str]] = {}
    for url in children:
        why = child_sitemap_refusal(url, index_url, source)
        if why is not None:
            refused.setdefault(why, []).append(url)
    return refused
