"""Lines that sit inside article containers but are not article text.

Two kinds: whole short lines that are interface text ("Advertisement", "Read more",
"Share this article", photo credits), and short paragraphs carrying a prompt
(newsletter sign-ups, app downloads, affiliate disclaimers). Real sentences that
merely mention these words are longer or lack the prompt's shape, so they are kept.
"""

from __future__ import annotations

import re

_WHOLE = re.compile(
    r"^(?:"
    r"advertisement|advertising|ad|ads|sponsored(?: content)?|paid (?:content|post)|"
    r"skip (?:advertisement|ad)|(?:\w+ )?story continues below(?: advertisement)?|"
    r"advertisement \w* ?story continues below|article content|continue reading(?: below)?|"
    r"(?:the )?(?:article|story|content) continues (?:below|after (?:the )?(?:ad|advertisement))"
    r"(?: advertisement)?|scroll to continue(?: with content)?|continue reading after (?:the )?"
    r"(?:ad|advertisement)|"
    # promo labels, followed by the promoted headline after ":", "|", "-", ">>"...
    r"(?:read more|read (?:also|next)|see also|also read|related(?: (?:articles?|stor(?:y|ies)|"
    r"content|coverage|reading|links?|news|posts?|topics|videos?))?|recommended(?: (?:videos?|"
    r"stor(?:y|ies)|for you|reading))?|further reading|don['’]t miss|must read|up next)"
    r"(?:\s*(?::|\||–|—|-|>>?|»|›)\s*.{0,200})?|"
    r"more (?:from|on|about|stories|news|coverage) .{0,60}|"
    r"(?:you|we think you) (?:may|might) (?:also )?like.{0,40}|most (?:read|popular|viewed|"
    r"shared)|trending(?: now| stories)?|popular(?: now| stories)?|top stories|"
    r"(?:share|tweet|email|print|save)(?: (?:this|the) (?:article|story|page|post))?"
    r"(?: (?:on|via) .{0,30})?|share on \w+|copy link|link copied|"
    r"comments?(?: \(?\d+\)?)?|(?:all|view|show|load) comments?(?: \d+)?|leave a comment|"
    r"(?:join|start) the (?:conversation|discussion)|"
    r"(?:photo|image|picture|video|graphic|illustration|credit|photograph)s?"
    r"(?: credit| courtesy)?\s*:.{0,160}|"
    r"(?:photo|image|credit)s? by .{0,80}|"
    r"listen(?: to)?(?: this| the)? (?:article|story).{0,40}|\d+ min(?:ute)?s? read|"
    r"(?:sign up|subscribe|log ?in|register|sign in)(?: now| here| today)?|"
    r"click here.{0,160}|tap here.{0,160}|swipe (?:for more|→)|"
    r"(?:updated|published|posted|last updated)\s*:?.{0,60}\d.{0,30}|"
    r"summary|key points|topics|tags|filed under.{0,100}|"
    r"(?:watch|listen)(?: now)?\s*[:|].{0,160}|"
    r"(?:download|get) (?:the|our) .{0,40}app.{0,80}|"
    r"our standards\s*:.{0,120}|"
    r"this (?:article|story|content) (?:is|was) .{0,80}(?:published|updated|produced).{0,80}|"
    # the same interface lines on German, French and Spanish pages
    r"anzeige|werbung|lesen sie (?:auch|mehr)(?: ?:.{0,200})?|mehr zum thema(?: ?:.{0,200})?|"
    r"auch interessant(?: ?:.{0,200})?|publicité|(?:à )?lire aussi(?: ?:.{0,200})?|"
    r"publicidad|lea también(?: ?:.{0,200})?|te puede interesar(?: ?:.{0,200})?"
    r")[\s.!:;→»›|]*$",
    re.IGNORECASE,
)
# Generic words that are a promo label only when shouted: "READ: ...", "MORE: ...".
_SHOUTED_LABEL = re.compile(r"^(?:READ|MORE|SEE|ALSO|PREVIOUSLY|NEXT|LISTEN)\s*[:|]\s*\S.{0,200}$")
# Image credits: "(Photo by Kevin Mazur/Getty Images)", "AP Photo/Chris Pizzello, File",
# "Kevin Mazur / Getty Images for TAS", "Image source, Getty Images", "Shutterstock".
_PHOTO_AGENCY = (
    r"(?:getty images|wireimage|filmmagic|redferns|afp|ap|aap(?: image)?|pa(?: wire| images)?|"
    r"epa(?:-efe)?|reuters|shutterstock|rex(?:/shutterstock)?|invision|alamy|backgrid|"
    r"splash news|bloomberg|anadolu|nurphoto|sopa images)"
)
# On a line of its own "Jane Doe/Instagram" is a credit too; inside a sentence
# "(formerly Twitter/X)" is not, so the caption pattern below uses photo agencies only.
_AGENCY = r"(?:" + _PHOTO_AGENCY + r"|supplied|handout|instagram|x|twitter)"
_PHOTO_CREDIT = re.compile(
    r"^\(?(?:"
    r"(?:photo|image|picture|credit|photograph)s? (?:by|courtesy(?: of)?) [^()]{1,100}|"
    r"(?:[\w.'’-]+ ){0,4}[\w.'’-]+\s*/\s*" + _AGENCY + r"(?: via getty images)?"
    r"(?: for [\w .'’&-]{1,40})?|"
    r"(?:ap|afp|aap|epa|pa|reuters)(?: photo)?\s*/\s*[\w .'’-]{2,60}|"
    r"(?:getty images|shutterstock|supplied|wireimage|filmmagic|handout|file photo|ap photo)"
    r"(?: via getty images)?|"
    r"(?:image|media) (?:source|caption)\s*,.{0,160}"
    r")(?:,\s*file)?\)?[\s.]*$",
    re.IGNORECASE,
)
# A caption line standing in the text ends with its credit in brackets.
_CAPTION_CREDIT = re.compile(
    r"\((?:(?:photo|image|picture)s? (?:by|credit|courtesy)\b|(?:ap|afp|aap|epa|pa|reuters) "
    r"photo\s*/|(?:photo|image|picture)s?(?: credit)?\s*:|[^()]{1,60}/\s*" + _PHOTO_AGENCY + r"\b)"
    r"[^()]{0,100}\)[\s.]*$",
    re.IGNORECASE,
)
MAX_CAPTION = 250
_PROMPT = re.compile(
    r"\bsign(?:ing)? up\b.{0,60}\b(?:newsletters?|emails?|alerts?|updates|inbox)\b|"
    r"\bnewsletters?\b.{0,80}\b(?:sign up|subscribe|inbox|delivered)\b|"
    r"\b(?:subscribe|subscribing) (?:to|for|now|today)\b.{0,80}\b(?:newsletter|access|"
    r"journalism|unlimited|digital|print)\b|"
    r"\bmay (?:earn|receive) (?:an? )?(?:small )?(?:affiliate )?commission\b|"
    r"\b(?:buying|purchases?) (?:through|via|from) (?:our )?links\b|"
    r"\bindependently (?:select|selected|chosen)\b.{0,80}\b(?:products?|recommend)|"
    r"\ball rights reserved\b|^copyright\b|^©|\bcopyright ©|"
    r"\bdownload (?:the|our) .{0,30}\bapp\b|\bfollow us on\b|"
    r"\bplease bookmark\b|\bturn on (?:your )?notifications\b|"
    r"\bad[- ]?block(?:er|ers|ing)?\b|\b(?:whitelist|allowlist) (?:us|our site)\b|"
    r"\benable javascript\b|\byour browser (?:is|does)\b|"
    # newsletter sign-up boxes: the pitch, the form's small print, the thank-you
    r"(?:^|[.?!:]\s+)(?:get|receive|try|join) (?:the|our|a) (?:free )?(?:[\w'’-]+ ){0,4}"
    r"newsletters?\b|"
    r"\b(?:straight|direct(?:ly)?|delivered) (?:to|into) your inbox\b|\bcheck your inbox\b|"
    r"\bby (?:signing up|subscribing)\b.{0,100}\b(?:agree|accept|consent|acknowledge)|"
    r"\bprotected by recaptcha\b|"
    r"^thanks? (?:you )?for (?:signing up|subscribing)\b|^enter your e-?mail\b|"
    r"\bget (?:the latest|daily|breaking) .{0,60}\b(?:in your inbox|newsletter|emails?)\b|"
    # paywall teasers: "Subscribe to continue reading", "Already a subscriber? Log in"
    r"\b(?:subscribe|subscription)\b.{0,60}\b(?:continue|keep|start) reading\b|"
    r"\b(?:continue|keep) reading\b.{0,60}\b(?:subscribe|subscription|subscriber)|"
    r"\balready (?:a |an )?(?:\w+ )?subscriber\b|"
    r"\b(?:get|enjoy) unlimited (?:digital )?access\b.{0,80}\b(?:a|per) (?:week|month|year)\b|"
    r"\b(?:register|sign in|log ?in|create a (?:free )?account)\b.{0,40}"
    r"\b(?:continue|keep) reading\b|"
    r"\b(?:this|the) (?:article|story|content|piece) is (?:only |exclusively )?"
    r"(?:available|reserved) (?:to|for) (?:paying |our )?subscribers\b",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"^[\s_—–\-*]*(?:with files from|with reporting (?:from|by)|reporting by|writing by|"
    r"editing by|edited by|additional reporting|compiled by|"
    r"(?:the )?associated press (?:writers?|reporters?) .{0,200}contributed|"
    r".{0,200}\bcontributed (?:to )?this (?:report|story|article)|"
    r"this (?:story|article|report) (?:was|has been) (?:updated|corrected|originally)|"
    r"(?:this (?:story|article) )?(?:was )?(?:first|originally) (?:published|appeared) (?:in|on|by)|"
    r"republished (?:from|with permission)|"
    r"_{3,}$)",
    re.IGNORECASE,
)
_RECIRCULATION = re.compile(
    r"^(?:more (?:from|on|in|about|stories|news|coverage|to read)|related|recommended|"
    r"read (?:more|next|also)|also read|most (?:popular|read|viewed|shared)|trending|"
    r"(?:you|we think you) (?:may|might) (?:also )?like|"
    r"latest (?:\w+ ){0,2}(?:news|stories|headlines|videos|articles)|latest from|"
    r"top stories|popular|editor'?s? picks|what to read next|further reading|"
    r"comments?|discussion|around the web|from our partners|sponsored)\b",
    re.IGNORECASE,
)
MAX_PROMPT = 320
# Every match of _PROMPT contains one of these (case-folded). A paragraph with none of
# them cannot match, and `in` on a short string is far cheaper than the regex's search
# from every position (a tenth of extraction time on small pages, bench/crawl.py).
_PROMPT_WORDS = (
    "sign",
    "newsletter",
    "subscrib",
    "subscription",
    "unlimited access",
    "register",
    "account",
    "log in",
    "login",
    "commission",
    "links",
    "independently",
    "rights reserved",
    "copyright",
    "©",
    "download",
    "follow us",
    "bookmark",
    "notifications",
    "block",
    "whitelist",
    "allowlist",
    "javascript",
    "browser",
    "inbox",
    "email",
    "e-mail",
    "recaptcha",
)


def is_boilerplate(text: str) -> bool:
    """Whether a paragraph is interface text or a prompt rather than article text."""
    if len(text) <= 300:
        stripped = text.strip()
        if _WHOLE.match(stripped) or _SHOUTED_LABEL.match(stripped) or is_photo_credit(stripped):
            return True
    return len(text) <= MAX_PROMPT and _is_prompt(text)


def is_photo_credit(text: str) -> bool:
    """An image credit, or a caption line ending with one, standing in the text."""
    if len(text) > MAX_CAPTION:
        return False
    if _PHOTO_CREDIT.match(text):
        return True
    return text.endswith((")", ").")) and bool(_CAPTION_CREDIT.search(text))


def without_photo_credit(text: str) -> str:
    """``text`` without a photo credit standing alone or closing it in brackets ("Lady
    Gaga at the Met Gala. (Photo by Kevin Mazur/Getty Images)"): a gallery's caption is
    its text, the credit is not."""
    if is_photo_credit(text) and not _CAPTION_CREDIT.search(text):
        return ""
    return _CAPTION_CREDIT.sub("", text).strip()


def _is_prompt(text: str) -> bool:
    folded = text.casefold()
    # "ı" and "İ" match "i" under the regex's IGNORECASE but do not casefold to it: a
    # paragraph holding one goes to the regex.
    if not any(word in folded for word in _PROMPT_WORDS) and not (
        "\u0131" in text or "\u0130" in text
    ):
        return False
    return bool(_PROMPT.search(text))


# What a paywall or registration wall says where the story stops: the page holds a
# teaser only. "Already a subscriber? Log in" is left out: sites put it in the header
# of every page, free stories included.
_PAYWALL_PROMPT = re.compile(
    r"\b(?:subscribe|subscription|subscriber)\b.{0,60}\b(?:continue|keep|start) reading\b|"
    r"\b(?:continue|keep) reading\b.{0,60}\b(?:subscribe|subscription|subscriber)|"
    r"\b(?:register|sign in|log ?in|create a (?:free )?account)\b.{0,40}"
    r"\b(?:continue|keep) reading\b|"
    r"\b(?:this|the) (?:article|story|content|piece) is (?:only |exclusively )?"
    r"(?:available|reserved) (?:to|for) (?:paying |our )?subscribers\b",
    re.IGNORECASE,
)


def is_paywall_prompt(text: str) -> bool:
    """A paywall's or registration wall's prompt ("Subscribe to continue reading")."""
    return len(text) <= MAX_PROMPT and bool(_PAYWALL_PROMPT.search(text))


def is_recirculation_heading(text: str) -> bool:
    """A heading that introduces links to other articles ("More from The Nation")."""
    return len(text) <= 80 and bool(_RECIRCULATION.match(text.strip()))


_BIO = re.compile(
    r"^\W*(?:\w+\W+){0,3}?(?:is|was)\s+(?:an?|the)\s+.{0,120}?\b(?:at|with|for|of|in)\b|"
    r"^\W*(?:\w+\W+){0,3}?(?:covers|writes|reports)\b|\bfollow (?:\w+ )?on (?:twitter|x|instagram)\b",
    re.IGNORECASE,
)


_PARTICLES = frozenset(("van", "der", "den", "von", "del", "della", "de", "la", "le", "bin", "ibn"))


def is_author_bio(text: str, names: list[str]) -> bool:
    """ "Jane Doe is a senior writer at ..." / "Steph covers politics ..." about an author."""
    if len(text) > 600 or not names:
        return False
    opening = set(re.findall(r"\w+", text[:60].casefold()))
    parts = {part.casefold() for name in names for part in name.split() if len(part) > 2}
    parts -= _PARTICLES
    return not opening.isdisjoint(parts) and bool(_BIO.search(text))


def is_trailing_credit(text: str) -> bool:
    """Contributor / editing credits that close wire stories ("Reporting by ...")."""
    return len(text) <= 400 and bool(_CREDIT.match(text))
