"""Small article pages shaped like real publishers' markup, for the extractor's tests."""

from __future__ import annotations

URL = "https://gossip.example/music/2024/05/02/star-announces-tour/"
PARAGRAPHS = [
    "The singer announced a world tour on Monday, with dates across Europe and North "
    "America, and fans rushed to buy tickets within minutes of the sale opening.",
    "The tour opens in Lisbon in September and closes in Los Angeles in December, "
    "according to a statement from her label, which also promised new songs.",
    "Tickets for the London shows sold out in under an hour, the promoter said, and "
    "extra dates are being considered for the spring of next year.",
    "Her last tour, in 2019, played to more than a million people across 60 cities, "
    "making it one of the highest-grossing tours of the decade.",
]


def page(head: str = "", body: str = "", lang: str = "en", charset: str = "utf-8") -> bytes:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="{charset}">{head}</head>'
        f"<body>{body}</body></html>"
    ).encode()
