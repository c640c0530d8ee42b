"""Bytes to text: sniff non-HTML payloads, then decode with the right charset.

Order of evidence: byte-order mark, then UTF-16 without one (see :func:`bomless_utf16`),
then the HTTP ``Content-Type`` charset, then a ``<meta charset>`` / ``http-equiv``
declaration in the first bytes, then detection. A declared charset is only trusted when
the bytes decode strictly with it; pages declared UTF-8 that are really cp1252 (or
Shift_JIS, GB18030...) fall through to the next declaration and finally to
charset-normalizer. Pages declared in a single-byte charset (Latin-1, cp1252,
ISO-8859-2, KOI8-R, windows-1251...) whose bytes are valid UTF-8 with non-ASCII
characters are read as UTF-8. Decoding never raises.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Mapping

from newscrawl.extract.errors import ExtractError

# Magic numbers of payloads that are certainly not HTML.
_MAGIC = (
    (b"%PDF-", "PDF document"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"BZh", "bzip2 data"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"Rar!", "RAR archive"),
    (b"OggS", "Ogg media"),
    (b"fLaC", "FLAC audio"),
    (b"ID3", "MP3 audio"),
    (b"wOFF", "web font"),
    (b"wOF2", "web font"),
    (b"\x00\x00\x01\x00", "icon"),
    (b"\xd0\xcf\x11\xe0", "OLE document"),
    (b"\x7fELF", "executable"),
    (b"MZ", "executable"),
    (b"{\\rtf", "RTF document"),
)
_NOT_HTML_TYPES = re.compile(
    r"^\s*(image|audio|video|font)/|^\s*application/(pdf|zip|gzip|octet-stream|msword|"
    r"vnd\.|x-|json|javascript|ogg)",
    re.IGNORECASE,
)
_CHARSET_PARAM = re.compile(rb"""charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,500}?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# WHATWG treats these labels as supersets; decoding with the superset loses nothing.
_SUPERSETS = {
    "ascii": "cp1252",
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift-jis": "cp932",
    "shift_jis": "cp932",
    "euc-kr": "cp949",
    "big5": "big5hkscs",
}


def content_type_charset(headers: Mapping[str, str] | None) -> tuple[str | None, str | None]:
    """(media type, charset) from a ``Content-Type`` header, either possibly None."""
    value = header(headers, "content-type")
    if not value:
        return None, None
    media = value.split(";")[0].strip().lower() or None
    match = _CHARSET_PARAM.search(value.encode("latin-1", "replace"))
    return media, (match.group(1).decode("ascii", "replace") if match else None)


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A header value by case-insensitive name (bytes values are decoded)."""
    if not headers:
        return None
    for key, value in headers.items():
        key_text = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if key_text.lower() == name:
            if isinstance(value, (list, tuple)):
                value = value[-1] if value else ""
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            return str(value)
    return None


# Bytes that text pages almost never hold: C0 controls other than tab, LF, VT, FF, CR.
_CONTROL_BYTES = bytes([*range(9), *range(14, 32)])


# WHATWG Encoding labels of UTF-16. "utf-16" alone names UTF-16LE there (RFC 2781 read
# it as big-endian without a BOM); the bytes settle the order when they show it.
_UTF16_LABELS = {
    **dict.fromkeys(
        ("utf-16", "utf-16le", "unicode", "unicodefeff", "ucs-2", "csunicode", "iso-10646-ucs-2"),
        "utf-16-le",
    ),
    **dict.fromkeys(("utf-16be", "unicodefffe"), "utf-16-be"),
}
_UTF16_SAMPLE = 2048
_MARKUP = re.compile(r"<[!/?a-zA-Z]")
# Characters that text never holds but binary data read as UTF-16 does: C0 and C1
# controls other than whitespace, noncharacters, and U+FFFD for what did not decode
# (a lone surrogate).
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffd-\uffff]")


def bomless_utf16(data: bytes, label: str | None = None) -> str | None:
    """``"utf-16-le"`` or ``"utf-16-be"`` when ``data`` is UTF-16 text without a BOM.

    The markup of an HTML page is ASCII, so UTF-16 shows a NUL byte in every other place,
    which the binary sniff took for binary data. A UTF-16 declaration (``label``, the
    HTTP charset, or a ``<meta charset>`` written in UTF-16) says the page is UTF-16 and
    the NULs only pick the byte order; without a majority the label's ("utf-16" alone is
    little-endian, as in browsers). Undeclared, an eighth of the bytes must be NULs in
    the high places and few in the low. Either way the sample must read as text holding
    markup: a tag, and no controls other than whitespace, C1 controls, noncharacters or
    broken surrogates. Binary data with alternate NULs (16-bit audio samples, pixels)
    holds such characters; a page declared UTF-16 whose bytes are ASCII holds no tag
    once read as UTF-16 (a browser shows it as CJK text; here the declaration is
    ignored, as any declaration the bytes contradict).
    """
    sample = data[: min(len(data), _UTF16_SAMPLE) & ~1]
    if len(sample) < 8 or any(data.startswith(bom) for bom, _ in _BOMS):
        return None
    nul_even, nul_odd = sample[0::2].count(0), sample[1::2].count(0)
    high, low = max(nul_even, nul_odd), min(nul_even, nul_odd)
    declared = _UTF16_LABELS.get((label or "").strip().strip("\"'").lower())
    if declared is None and high:
        declared = _utf16_meta(sample)
    if declared is None and (high < len(sample) // 8 or low * 4 > high):
        return None
    order = declared if high == low else "utf-16-le" if nul_odd > nul_even else "utf-16-be"
    if order is None:
        return None
    text = sample.decode(order, "replace")
    if 0xD8 <= sample[-2 if order == "utf-16-le" else -1] <= 0xDB:
        text = text[:-1]  # an emoji cut in half by the sample's end
    if _NOT_TEXT.search(text) or not _MARKUP.search(text):
        return None
    return order


def _utf16_meta(sample: bytes) -> str | None:
    """The UTF-16 byte order a ``<meta charset>`` written in UTF-16 declares, or None:
    found in the bytes with the NULs taken out. (One written in ASCII is wrong about
    UTF-16, and browsers then read the page as UTF-8.)"""
    meta = _META_CHARSET.search(sample.replace(b"\x00", b""))
    return _UTF16_LABELS.get(meta.group(1).decode("ascii", "replace").lower()) if meta else None


def sniff_not_html(data: bytes, media_type: str | None, charset: str | None = None) -> str | None:
    """Why ``data`` is not an HTML page (a short description), or None when it may be.

    ``charset`` is the HTTP charset, which may say the page is UTF-16 (see
    :func:`bomless_utf16`)."""
    head = data[:16].lstrip(b"\xef\xbb\xbf")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if len(data) >= 12 and data[4:8] == b"ftyp":
        return "MP4/QuickTime media"
    if data[:4] == b"RIFF":
        return "RIFF media"
    if media_type and _NOT_HTML_TYPES.search(media_type) and b"<" not in data[:512]:
        return f"content type {media_type}"
    sample = data[:2048]
    if sample and not any(sample.startswith(bom) for bom, _ in _BOMS):
        # Text pages have almost no control bytes; binary data has many, and so has
        # UTF-16 text without a BOM (its NULs).
        controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
        if controls > len(sample) * 0.05 and not bomless_utf16(data, charset):
            return "binary data"
    return None


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return None
    return _SUPERSETS.get(name, name)


# Markup that every charset a page can declare reads as itself: the declaration was
# found as ASCII bytes, so a codec that reads these otherwise is not the page's. That
# refuses UTF-16/32, EBCDIC, UTF-7 and HZ (whose escapes turn "+" and "~{" into other
# text), Python's own escape codecs (a "\\n" in the text would become a line break),
# and codecs that cannot read HTML at all ('undefined' and 'punycode' raise on any
# input: a page naming one was lost as "failed").
_ASCII_PROBE = rb'<meta charset="x"> C:\new\u00e9 A+B-1 ~{a} x.y'


@functools.lru_cache(maxsize=64)
def _reads_ascii_as_ascii(name: str) -> bool:
    try:
        return _ASCII_PROBE.decode(name) == _ASCII_PROBE.decode("ascii")
    except (UnicodeError, LookupError):
        return False


# Every pair of bytes from 0x80 up, one after the other: a single-byte codec reads each
# byte as one character, a multi-byte one joins some pairs into one.
_HIGH_PAIRS = bytes(
    byte
    for first in range(0x80, 0x100)
    for second in range(0x80, 0x100)
    for byte in (first, second)
)


@functools.lru_cache(maxsize=64)
def _single_byte(name: str) -> bool:
    """Whether ``name`` reads every byte as one character (Latin-1, cp1252, ISO-8859-x,
    KOI8-R/U, windows-125x, IBM866, Mac codecs): one in which bytes that are valid UTF-8
    with non-ASCII characters are practically never real text. UTF-8 wants every byte
    from 0xC2 to 0xF4 followed by exactly one to three bytes from 0x80 to 0xBF, and no
    such byte anywhere else. In these codecs 0xC0-0xFF are letters (accented Latin ones;
    Cyrillic in windows-1251 and KOI8-R), and real text follows a letter with ASCII or
    with more letters ("é" then "t" in Latin-1, "ст" as 0xF1 0xF2 in windows-1251): its
    first such word breaks the rule. A page that keeps it throughout needs each of those
    letters followed by the right number of bytes 0x80-0xBF (punctuation, symbols, a
    few letters): "Ã©" or "Ð»" everywhere, which is itself UTF-8 read in the wrong codec.
    Multi-byte codecs (Shift_JIS, GBK, EUC-KR, Big5) are left out: pairs of their bytes
    can be valid UTF-8 in real text. So are 7-bit codecs (ISO-2022-JP), which read no
    byte from 0x80 up."""
    try:
        text = _HIGH_PAIRS.decode(name, "replace")
    except (UnicodeError, LookupError):
        return False
    return len(text) == len(_HIGH_PAIRS) and text.count("\ufffd") < len(text) // 2


def _mostly_utf8(text: str) -> bool:
    """UTF-8 with a few broken sequences (a truncated or spliced page), not another charset."""
    errors = text.count("\ufffd")
    good = len(text) - len(text.encode("ascii", "ignore")) - errors
    return good > 0 and errors * 10 <= good


def _detect(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    try:
        results = from_bytes(data[:200_000], steps=5, chunk_size=512, cp_isolation=None)
        best = results.best()
    except Exception:  # noqa: BLE001 - detection is best effort
        return None
    if best is None:
        return None
    # Short Latin text fits several single-byte code pages equally well; on the web the
    # tie goes to windows-1252, the default legacy encoding.
    for match in results:
        tied = match.chaos <= best.chaos and match.coherence >= best.coherence
        if tied and _codec(match.encoding) == "cp1252":
            return "cp1252"
    return _codec(best.encoding)


def decode_html(data: bytes, headers: Mapping[str, str] | None = None) -> tuple[str, str]:
    """Decode ``data`` as HTML text; returns ``(text, codec name used)``.

    Raises ``ExtractError("not_html")`` for payloads that are recognisably binary.
    """
    media_type, http_charset = content_type_charset(headers)
    why = sniff_not_html(data, media_type, http_charset)
    if why:
        raise ExtractError("not_html", why)
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(name, "replace"), name
    utf16 = bomless_utf16(data, http_charset)
    if utf16:
        return data.decode(utf16, "replace"), utf16
    tried = []
    meta = _META_CHARSET.search(data[:8192])
    for label in (http_charset, meta.group(1).decode("ascii", "replace") if meta else None):
        name = _codec(label)
        if not name or name in tried or not _reads_ascii_as_ascii(name):
            continue
        tried.append(name)
        if _single_byte(name) and not data.isascii():
            # Declared Latin-1 (often an HTTP server default) or another single-byte
            # charset, but UTF-8 bytes (a site moved to UTF-8 and kept its old header or
            # template): see _single_byte for why the UTF-8 reading is then the right one.
            try:
                return data.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                pass
        try:
            return data.decode(name), name
        except (UnicodeError, LookupError):  # idna raises UnicodeError, not ...DecodeError
            continue
    text = data.decode("utf-8", "replace")
    if "\ufffd" not in text or _mostly_utf8(text):
        return text, "utf-8"
    name = _detect(data) or "cp1252"
    try:
        return data.decode(name, "replace"), name
    except (UnicodeError, LookupError):
        return data.decode("cp1252", "replace"), "cp1252"
