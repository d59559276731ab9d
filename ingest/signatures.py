"""Signatures: where a reply's trailing sign-off, "-- " block, tagline or notice begins.

`signature_start` is the second stage of ingest.quotes, run on text whose quoted history is
already cut (ingest.quotation).
"""

from __future__ import annotations

import re

from ingest.quotation import LANGUAGES

# A signature is only ever taken from the end, and only in one of these shapes; a closing
# word alone never is one ("thank you, we are not disputing…" is content).

# Rule: RFC 3676's "-- " delimiter, then at most ten short lines ("--" without the space
# only above name/title/contact lines: typed by hand it may separate content).
_SIG_DASHES = re.compile(r"^--\s?$")
# Rule: a device or client tagline as the last line ("Sent from my iPhone", "Von meinem
# iPhone gesendet"): the library's phrases and more, then only a product's name.
_TAGLINE = re.compile(
    "|".join(f"(?:{t['sent_from']})" for t in LANGUAGES if t.get("sent_from"))
    + r"|sent (?:from|with)|envoyé (?:de|depuis)|enviado (?:de|do)|von meinem|"
    r"verzonden met|отправлено с|надіслано з",
    re.IGNORECASE,
)
_PRODUCT_WORDS = {"my", "on", "for", "mon", "mi", "meu", "mijn", "min", "gesendet", "phone",
                  "smartphone", "tablet", "mobile", "device", "app", "mail"}
# Rule: a closing ("Thanks,", "Kind regards", "Mit freundlichen Grüßen", the library's list
# and more) on a line of its own, or followed by a capitalised name ("Thanks, Sarah"), then
# only short name/title/contact lines to the end.
_MORE_CLOSINGS = [
    r"thanks?(?: you)?(?: (?:again|so much|very much|a lot|in advance))?", r"many thanks",
    r"thanks (?:and|&) (?:best |kind )?regards", r"(?:(?:very )?(?:best|kind|kindest|warm|"
    r"warmest|warm) )?regards", r"with (?:best |kind )?regards", r"rgds", r"br", r"kr",
    r"best(?: wishes)?", r"cheers", r"(?:yours )?(?:sincerely|faithfully|truly)(?: yours)?",
    r"respectfully", r"(?:freundliche|beste|liebe|viele) grüße", r"mfg", r"danke(?: schön)?",
    r"bien (?:à vous|cordialement)", r"merci(?: beaucoup)?", r"salutations(?: distinguées)?",
    r"(?:un )?saludos?(?: cordiales)?", r"atentamente", r"(?:muchas )?gracias",
    r"distinti saluti", r"saluti", r"grazie(?: mille)?", r"(?:met )?vriendelijke groet(?:en)?",
    r"groet(?:en)?", r"с уважением", r"спасибо", r"atenciosamente", r"obrigad[oa]",
    r"cumprimentos",
]
_CLOSINGS = [
    re.sub(r"[,，.]$", "", p) for t in LANGUAGES for p in t.get("signatures", [])
] + _MORE_CLOSINGS
# "Cordialement / Best regards," too.
_CLOSING_WORDS = f"(?:{'|'.join(_CLOSINGS)})"
_CAP_WORD = r"[^\W\d_a-zà-öø-ÿа-я][\w.'’-]*"
_CLOSING = re.compile(
    rf"^(?:(?i:{_CLOSING_WORDS}(?:[ \t]*/[ \t]*{_CLOSING_WORDS})?)[ \t,.!:;，。]*"
    rf"(?:[ \t]*{_CAP_WORD}(?:[ \t]+{_CAP_WORD}){{0,2}})?"
    rf"|[-–—][ \t]?{_CAP_WORD}(?:[ \t]+{_CAP_WORD}){{0,2}})[ \t]*$"
)
_CONTACT = re.compile(
    r"@|https?://|www\.|\+?\(?\d[\d ().-]{6,}\d|"
    r"^(?:tel|phone|mob|mobile|cell|fax|direct|office|skype)\b\.?\s*[:.]|^[tmfp]\.?:?\s*\+?\(?\d",
    re.IGNORECASE,
)
_CONNECTIVES = {"of", "and", "&", "de", "du", "la", "van", "von", "der", "for", "und", "y", "e"}
_ENDS_ABBREVIATION = re.compile(r"(?:\b[A-Z][a-z]{0,3}\.|\b[A-Z]\.)$")
# Rule: a confidentiality notice as the last paragraph: a notice's opening and its words.
_DISCLAIMER = re.compile(
    r"^(?:\**(?:disclaimer|confidential(?:ity)?(?: notice)?|(?:legal |important )?notice)\**"
    r"\s*:|this (?:e-?mail|message|communication)\b|the information (?:contained )?in this)",
    re.IGNORECASE,
)
_DISCLAIMER_WORDS = re.compile(
    r"confidential|privileged|intended (?:solely )?(?:for|recipient)|unauthori[sz]ed|disclos",
    re.IGNORECASE,
)


def _is_signature_line(line: str, *, strict: bool) -> bool:
    """A name, title, company or contact line; `strict` for the name right under a closing."""
    text = line.strip()
    if not text:
        return True
    if len(text) > 100:
        return False
    if _CONTACT.search(text) and not strict:
        return True
    words = text.split()
    if len(text) > 60 or len(words) > 8 or (strict and len(words) > 4):
        return False
    if text[-1] in ".?!:;," and not _ENDS_ABBREVIATION.search(text):
        return False
    lower = [w for w in words if w[:1].islower() and w.lower() not in _CONNECTIVES]
    first = text[0]
    return len(lower) <= (0 if strict else 1) and not first.islower() and (
        first.isalpha() or first.isdigit() or first in "+(|/-–—"
    )


def _closing_at(lines: list[str], end: int) -> int | None:
    """The closing line that starts a sign-off block running to `end`, if there is one."""
    for i in range(end - 1, max(-1, end - 9), -1):
        if _CLOSING.match(lines[i].strip()):
            rest = [line for line in lines[i + 1 : end] if line.strip()]
            named = len(lines[i].strip().rstrip(",.!").split()) > 1 and "," in lines[i]
            if not rest and not named and not lines[i].lstrip().startswith(("-", "–", "—")):
                return None  # "Thanks," with nothing under it is a closing, not a signature
            if len(rest) <= 6 and all(
                _is_signature_line(line, strict=n == 0) for n, line in enumerate(rest)
            ):
                return i
            return None
        if not _is_signature_line(lines[i], strict=False):
            return None
    return None


def _sender_tokens(sender_name: str, sender: str) -> set[str]:
    """Words that open a signature's name line: the display name's ("Jo", "Whitfield") and
    the address's longer ones ("dana.whitfield@…", not "ap@…")."""
    names = {n for n in re.split(r"[\s,\"'()]+", sender_name.lower()) if len(n) >= 2}
    local = sender.split("@")[0].lower() if "@" in sender else ""
    return names | {n for n in re.split(r"[._+-]+", local) if len(n) >= 3}


def _signed_at(lines: list[str], end: int, sender_name: str, tokens: set[str]) -> int | None:
    """Rule: without a closing, short name/title/contact lines at the end of which the first
    names the sender ("Kevin Osei\nBranch Operations Manager\n(704) 555-0163")."""
    for i in range(end - 1, max(-1, end - 9), -1):
        if not _is_signature_line(lines[i], strict=False):
            return None
        words = lines[i].lower().lstrip(" -–—").split()
        if words and (
            words[0].strip(",.") in tokens
            or (sender_name and sender_name.lower() in lines[i].lower())
        ):
            return i
    return None


def _is_tagline(line: str) -> bool:
    text = line.strip().rstrip(".")
    tagline = _TAGLINE.match(text)
    if tagline is None or len(text.split()) > 8:
        return False
    # "Sent from our Chennai warehouse on 2 Nov" is news, not a tagline.
    return all(
        not word[:1].islower() or word[1:2].isupper() or word.lower() in _PRODUCT_WORDS
        for word in text[tagline.end() :].split()
    )


def _signature_line(lines: list[str], sender_name: str, sender: str) -> int:
    """Index of the first signature line (len(lines) when there is none)."""
    end = first = len(lines)
    tokens = _sender_tokens(sender_name, sender)
    # A signature has few layers (sign-off, "-- " block, tagline, notice): four cuts at most,
    # so a body made of many "-- "-separated parts is never eaten from the end.
    for _layer in range(4):
        while end and not lines[end - 1].strip():
            end -= 1
        cut = end
        paragraph = end
        while paragraph and lines[paragraph - 1].strip():
            paragraph -= 1
        dashes = [
            i for i in range(max(0, end - 11), end) if _SIG_DASHES.match(lines[i]) and (
                lines[i].endswith(" ")
                or all(_is_signature_line(line, strict=False) for line in lines[i + 1 : end])
            )
        ]
        notice = " ".join(lines[paragraph:end])
        if paragraph and _DISCLAIMER.match(notice.strip()) and _DISCLAIMER_WORDS.search(notice):
            cut = paragraph
        elif end and _is_tagline(lines[end - 1]):
            cut = end - 1
        elif dashes and all(len(line) <= 120 for line in lines[dashes[0] : end]):
            cut = dashes[0]
        elif (closing := _closing_at(lines, end)) is not None:
            cut = closing
        elif tokens and (signed := _signed_at(lines, end, sender_name, tokens)) is not None:
            cut = signed
        if cut == end or not any(line.strip() for line in lines[:cut]):
            break  # no (further) signature, or cutting it would leave nothing
        end = first = cut
    return first


def signature_start(text: str, *, sender_name: str = "", sender: str = "") -> int:
    """Offset in `text` where its trailing signature begins (len(text) when none); the
    sender's display name and address, when given, also find a signature with no closing."""
    lines = text.split("\n")
    first = _signature_line(lines, sender_name, sender)
    if first >= len(lines):
        return len(text)
    return len("\n".join(lines[:first])) + (1 if first else 0)

