"""PopWire's machine-readable outputs: Yoast JSON-LD graph, RSS 2.0 and sitemaps."""

from __future__ import annotations

import json
from datetime import datetime

from newscrawl.demo.common import cdata, esc, rfc822, slugify
from newscrawl.demo.model import DemoArticle


def yoast_graph(site, article: DemoArticle, origin: dict[str, str]) -> str:
    """The ``@graph`` JSON-LD Yoast SEO prints on a post, as a compact JSON string."""
    home = origin[site.publisher.id]
    url = site.canonical_url(article, origin)
    image = home + article.image
    people = [
        {
            "@type": "Person",
            "@id": f"{home}/#/schema/person/{slugify(name)}",
            "name": name,
            "url": f"{home}/author/{slugify(name)}/",
        }
        for name in article.authors
    ]
    refs = [{"name": p["name"], "@id": p["@id"]} for p in people]
    news = {
        "@type": "NewsArticle",
        "@id": f"{url}#article",
        "isPartOf": {"@id": url},
        "author": refs[0] if len(refs) == 1 else refs,
        "headline": article.title,
        "datePublished": article.published_at,
        "dateModified": article.modified_at,
        "mainEntityOfPage": {"@id": url},
        "wordCount": article.word_count,
        "publisher": {"@id": f"{home}/#organization"},
        "image": {"@id": f"{url}#primaryimage"},
        "thumbnailUrl": image,
        "keywords": article.tags,
        "articleSection": [article.section],
        "inLanguage": "en-US",
    }
    if article.paywalled:
        news["isAccessibleForFree"] = False
        news["hasPart"] = {
            "@type": "WebPageElement",
            "isAccessibleForFree": False,
            "cssSelector": ".paywall",
        }
    crumb = article.extra.get("short_title") or article.title
    graph = [
        news,
        {
            "@type": "WebPage",
            "@id": url,
            "url": url,
            "name": f"{article.title} | PopWire",
            "isPartOf": {"@id": f"{home}/#website"},
            "primaryImageOfPage": {"@id": f"{url}#primaryimage"},
            "image": {"@id": f"{url}#primaryimage"},
            "thumbnailUrl": image,
            "datePublished": article.published_at,
            "dateModified": article.modified_at,
            "description": article.description,
            "breadcrumb": {"@id": f"{url}#breadcrumb"},
            "inLanguage": "en-US",
        },
        {
            "@type": "ImageObject",
            "inLanguage": "en-US",
            "@id": f"{url}#primaryimage",
            "url": image,
            "contentUrl": image,
            "width": 1200,
            "height": 675,
        },
        {
            "@type": "BreadcrumbList",
            "@id": f"{url}#breadcrumb",
            "itemListElement": [
                {"@type": "ListItem", "position": 1, "name": "Home", "item": f"{home}/"},
                {"@type": "ListItem", "position": 2, "name": crumb},
            ],
        },
        {
            "@type": "WebSite",
            "@id": f"{home}/#website",
            "url": f"{home}/",
            "name": "PopWire",
            "description": "Pop news, tours and charts",
            "publisher": {"@id": f"{home}/#organization"},
            "inLanguage": "en-US",
        },
        {
            "@type": "Organization",
            "@id": f"{home}/#organization",
            "name": "PopWire",
            "url": f"{home}/",
            "logo": {"@type": "ImageObject", "url": f"{home}/wp-content/uploads/logo.png"},
        },
        *people,
    ]
    text = json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False)
    return text.replace("</", "<\\/")


def feed_xml(site, items: list[DemoArticle], origin: dict[str, str]) -> str:
    """RSS 2.0 as WordPress prints it at ``/feed/``."""
    home = origin[site.publisher.id]
    last = max((a.lastmod_dt for a in items), default=None)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"\n'
        '\txmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
        '\txmlns:wfw="http://wellformedweb.org/CommentAPI/"\n'
        '\txmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '\txmlns:atom="http://www.w3.org/2005/Atom"\n'
        '\txmlns:sy="http://purl.org/rss/1.0/modules/syndication/"\n>\n<channel>\n'
        f'\t<title>PopWire</title>\n\t<atom:link href="{home}/feed/" rel="self" type="application/rss+xml" />\n'
        f"\t<link>{home}/</link>\n\t<description>Pop news, tours and charts</description>\n"
        + (f"\t<lastBuildDate>{rfc822(last)}</lastBuildDate>\n" if last else "")
        + "\t<language>en-US</language>\n\t<sy:updatePeriod>hourly</sy:updatePeriod>\n"
        "\t<sy:updateFrequency>1</sy:updateFrequency>\n"
        "\t<generator>https://wordpress.org/?v=6.7.1</generator>\n"
    ]
    for a in items:
        url = site.url(a, origin)
        content = "".join(f"<p>{esc(p)}</p>\n" for p in a.body)
        out.append(
            f"\t<item>\n\t\t<title>{esc(a.title)}</title>\n\t\t<link>{url}</link>\n"
            f"\t\t<comments>{url}#respond</comments>\n"
            + "".join(f"\t\t<dc:creator>{cdata(n)}</dc:creator>\n" for n in a.authors)
            + f"\t\t<pubDate>{rfc822(a.published_dt)}</pubDate>\n"
            + "".join(f"\t\t<category>{cdata(c)}</category>\n" for c in [a.section, *a.tags] if c)
            + f'\t\t<guid isPermaLink="false">{home}/?p={1000 + a.extra["number"]}</guid>\n'
            f"\t\t<description>{cdata(a.description or '')}</description>\n"
            + (f"\t\t<content:encoded>{cdata(content)}</content:encoded>\n" if content else "")
            + "\t</item>\n"
        )
    out.append("</channel>\n</rss>\n")
    return "".join(out)


def urlset_xml(
    site,
    items: list[DemoArticle],
    origin: dict[str, str],
    *,
    extra: list[tuple[str, datetime | None]] = (),
) -> str:
    """A Yoast post (or page) sitemap: loc, lastmod and the lead image."""
    home = origin[site.publisher.id]
    rows = [
        f"\t<url>\n\t\t<loc>{esc(loc)}</loc>\n"
        + (f"\t\t<lastmod>{lastmod.isoformat()}</lastmod>\n" if lastmod else "")
        + "\t</url>\n"
        for loc, lastmod in extra
    ]
    rows += [
        f"\t<url>\n\t\t<loc>{site.url(a, origin)}</loc>\n"
        f"\t\t<lastmod>{a.lastmod_dt.isoformat()}</lastmod>\n"
        + (
            f"\t\t<image:image>\n\t\t\t<image:loc>{home}{a.image}</image:loc>\n\t\t</image:image>\n"
            if a.image
            else ""
        )
        + "\t</url>\n"
        for a in items
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1" '
        'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{''.join(rows)}</urlset>\n"
    )


def news_sitemap_xml(site, items: list[DemoArticle], origin: dict[str, str]) -> str:
    """A Google News sitemap (articles from the last 48 hours)."""
    rows = "".join(
        f"<url>\n<loc>{site.url(a, origin)}</loc>\n<news:news>\n<news:publication>\n"
        "<news:name>PopWire</news:name>\n<news:language>en</news:language>\n"
        "</news:publication>\n"
        f"<news:publication_date>{a.published_at}</news:publication_date>\n"
        f"<news:title>{esc(a.title)}</news:title>\n"
        f"<news:keywords>{esc(', '.join(a.tags))}</news:keywords>\n"
        "</news:news>\n</url>\n"
        for a in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        f"{rows}</urlset>\n"
    )
