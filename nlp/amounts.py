"""Money amounts in any common shape, with their ISO 4217 currency.

`$27,800.00`, `USD 1.200` (dot for thousands), `€1.250,50`, `1.250,50 €`, `4 500 EUR`,
`CHF 2'300`, `INR 1,20,000`, `£3k`, `Rs 1.5 lakh`, `C$3,400`, `$980 AUD`, "twelve hundred
dollars", "two and a half thousand pounds", "3,000 naira", "6 800,00 $" (as Québec writes it),
"48 600,00 DH". `$` alone is USD; `C$`/`A$` or a
trailing code win over it. A bare "5k" or "two grand" is an amount with no currency, and so is
a spoken "two hundred" right after a paying verb ("I can do two hundred now"). A bare
number in digits ("pay 500") is not taken as money: quantities, references and years look the
same, and a wrong amount on a promise is worse than a missing one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from nlp.dates import SCANNER

SYMBOLS = {
    "us$": "USD", "usd$": "USD", "c$": "CAD", "ca$": "CAD", "cad$": "CAD", "a$": "AUD",
    "au$": "AUD", "aud$": "AUD", "nz$": "NZD", "s$": "SGD", "hk$": "HKD", "r$": "BRL",
    "mx$": "MXN", "$": "USD", "£": "GBP", "€": "EUR", "¥": "JPY", "₹": "INR", "rs.": "INR",
    "rs": "INR", "₩": "KRW", "₦": "NGN", "₱": "PHP", "zł": "PLN", "fr.": "CHF", "sfr.": "CHF",
    "ksh": "KES", "kshs": "KES", "ksh.": "KES", "rp": "IDR", "r": "ZAR", "n": "NGN", "p": "PHP",
    "rm": "MYR", "tk": "BDT", "tk.": "BDT", "gh₵": "GHS", "gh¢": "GHS", "tt$": "TTD",
    "j$": "JMD", "ec$": "XCD", "bds$": "BBD", "s/": "PEN", "s/.": "PEN", "zl": "PLN",
    "fcfa": "XOF", "f cfa": "XOF", "cfa": "XOF", "kz": "AOA", "m.n.": "MXN", "m.n": "MXN",
    "m. n.": "MXN", "dh": "AED", "dhs": "AED", "f": "XOF",
    # The Gulf's and the Levant's ("BD 900", "JD 4,000", "58k SR"), and symbols and letters
    # written after the sum ("420.000 TL", "2.340.000 Ft", "186 500 Kč", "42,000 ₪").
    "bd": "BHD", "jd": "JOD", "kd": "KWD", "qr": "QAR", "ro": "OMR", "sr": "SAR", "nis": "ILS",
    "₪": "ILS", "₺": "TRY", "tl": "TRY", "₫": "VND", "đ": "VND", "৳": "BDT", "l.e.": "EGP",
    "e£": "EGP", "₸": "KZT", "₴": "UAH", "₾": "GEL", "kč": "CZK", "kc": "CZK", "ft": "HUF",
    "lei": "RON", "元": "CNY", "円": "JPY", "원": "KRW", "฿": "THB", "rmb": "CNY", "le": "EGP",
}
CODES = (
    "USD EUR GBP CAD AUD NZD INR CHF JPY CNY HKD SGD SEK NOK DKK PLN CZK HUF ZAR MXN BRL AED SAR "
    "KRW NGN KES PHP THB MYR IDR TRY ILS RON BGN GHS PKR LKR BDT NPR EGP MAD VND TWD UGX TZS "
    "TTD JMD BBD XCD COP CLP ARS PEN UYU BOB PYG GTQ CRC DOP XOF XAF AOA MZN TND DZD UAH "
    "QAR KWD BHD JOD OMR IQD LBP LYD KZT GEL ISK RSD ETB RWF ZMW BWP NAD MUR MMK KHR MNT UZS "
    "AZN BYN MDL"
).split()
# Lower-case codes are accepted only for currencies people actually type that way; "try", "ron"
# or "sar" in lower case are words, not money.
_LOWER_CODES = "usd eur gbp cad aud nzd inr chf jpy sgd hkd".split()
WORDS = {
    "dollars": "USD", "dollar": "USD", "bucks": "USD", "euros": "EUR", "euro": "EUR",
    "pounds": "GBP", "pound": "GBP", "quid": "GBP", "sterling": "GBP", "yen": "JPY",
    "rupees": "INR", "rupee": "INR", "francs": "CHF", "franc": "CHF",
    # Names of one currency each ("pesos", "kroner" and "shillings" name several).
    "naira": "NGN", "rand": "ZAR", "reais": "BRL", "zloty": "PLN", "zlotys": "PLN",
    "złoty": "PLN", "złotych": "PLN", "dirhams": "AED", "dirham": "AED", "riyals": "SAR",
    "riyal": "SAR", "ringgit": "MYR", "baht": "THB", "yuan": "CNY", "rmb": "CNY",
    "renminbi": "CNY", "kronor": "SEK", "lira": "TRY", "liras": "TRY", "cedis": "GHS",
    "cedi": "GHS", "taka": "BDT", "zlotych": "PLN", "soles": "PEN", "franken": "CHF",
    "pesos": "MXN", "peso": "MXN", "dlls": "USD", "dll": "USD", "dls": "USD",
    "shekels": "ILS", "shekel": "ILS", "shekalim": "ILS", "dong": "VND", "won": "KRW",
    "rupiah": "IDR", "forint": "HUF", "forints": "HUF", "koruna": "CZK", "korun": "CZK",
    "tenge": "KZT", "krona": "SEK", "rials": None, "rial": None, "shillings": None,
    "shilling": None,
    # Names of several currencies with no usual reading: nlp.currency settles them from where
    # the customer writes, or leaves the currency open.
    "dinar": None, "dinars": None, "kroner": None, "krone": None,
}
ADJECTIVES = {
    "canadian": "CAD", "australian": "AUD", "aussie": "AUD", "us": "USD", "u.s.": "USD",
    "american": "USD", "singapore": "SGD", "new zealand": "NZD", "nz": "NZD", "hong kong": "HKD",
    "swiss": "CHF", "indian": "INR", "british": "GBP", "japanese": "JPY", "jamaican": "JMD",
    "barbados": "BBD", "tt": "TTD", "ec": "XCD",
    # Before "dinar", "riyal", "pounds" or "kroner", which several countries write.
    "kuwaiti": "KWD", "bahraini": "BHD", "jordanian": "JOD", "iraqi": "IQD", "tunisian": "TND",
    "algerian": "DZD", "libyan": "LYD", "serbian": "RSD", "saudi": "SAR", "qatari": "QAR",
    "omani": "OMR", "egyptian": "EGP", "lebanese": "LBP", "danish": "DKK", "swedish": "SEK",
    "norwegian": "NOK", "icelandic": "ISK", "emirati": "AED",
}
_UNITS = {"k": 1e3, "m": 1e6, "mn": 1e6, "mln": 1e6, "mio": 1e6, "million": 1e6,
          "thousand": 1e3, "grand": 1e3, "lakh": 1e5, "lakhs": 1e5, "lac": 1e5, "lacs": 1e5,
          "crore": 1e7, "crores": 1e7, "bn": 1e9, "billion": 1e9,
          # Spanish and Portuguese "12 mil pesos", Polish "2 tys. zł", German "3 Tsd. Euro".
          "mil": 1e3, "tys": 1e3, "tys.": 1e3, "tysięcy": 1e3, "tysiące": 1e3, "tsd": 1e3,
          "tsd.": 1e3, "millones": 1e6, "millón": 1e6, "millon": 1e6, "milhões": 1e6,
          "milhoes": 1e6, "milhão": 1e6, "milhao": 1e6,
          # Chilean and Argentine "320 lucas": thousands of pesos.
          "lucas": 1e3, "luca": 1e3, "l": 1e5, "cr": 1e7,
          # Chinese and Japanese 万, Korean 만 and "man" (ten thousand), 億/억 (a hundred
          # million); Vietnamese "tr"/"triệu" (a million), Indonesian "juta"/"jt" (a
          # million) and "ribu"/"rb" (a thousand).
          "万": 1e4, "만": 1e4, "man": 1e4, "千": 1e3, "億": 1e8, "억": 1e8, "tr": 1e6,
          "triệu": 1e6, "trieu": 1e6, "tỷ": 1e9, "juta": 1e6, "jt": 1e6, "ribu": 1e3, "rb": 1e3}

# "R3 200" (rand) and "N480,000" (naira) only before a grouped number or one with cents
# ("R31 400,00", "R450.00"): a capital letter before digits is too often a part or room
# number otherwise.
_LETTER_SYMBOL = (
    r"(?-i:R|N|P)(?=\d{1,3}(?:[, ]\d{3})+(?:[.,]\d\d)?(?![\d,])|\d+[.,]\d\d(?![\d,.]))"
    # "R 12 500,00", as South Africans also write it: spaced, only before grouped figures.
    r"|(?-i:R)(?=\s\d{1,3}(?: \d{3})+(?:,\d\d)?(?![\d,]))"
    # "N2.5m", "R1.2m": naira and rand before millions or thousands.
    r"|(?-i:R|N)(?=\d{1,3}(?:\.\d{1,2})?\s?(?:m|k|bn|million)\b)"
    # "LE 275,000": Egyptian pounds, only before a grouped figure or four digits or more
    # (a French "LE 15 DÉCEMBRE" is a date).
    r"|(?-i:LE)(?=\s?(?:\d{1,3}(?:,\d{3})+|\d{4,}))"
)
_PREFIX = (
    r"(?P<pre>US\$|USD\$|CA\$|CAD\$|AU\$|AUD\$|NZ\$|HK\$|MX\$|TT\$|EC\$|BDS\$|C\$|A\$|S\$|R\$|J\$|"
    r"\$|£|€|¥|₹|₩|₦|₱|₪|₺|₫|৳|₸|₴|₾|E£|L\.E\.|GH₵|GH¢|[Rr]s\.?|SFr\.|Fr\.|KShs?\.?|Kshs?\.?|Rp\.?|"
    r"(?-i:RM|RMB|Tk\.?|S/\.?|Dhs?\.?|DHS?|BD|JD|KD|QR|RO|SR|NIS|TL)|kr\.?|฿|"
    + _LETTER_SYMBOL + r"|(?-i:"
    + "|".join(CODES) + r")|(?:" + "|".join(_LOWER_CODES) + r")(?![a-z]))"
)
# Thin and no-break spaces group thousands in typeset European text.
_GROUP = "[,. '’\u00a0\u202f]"
_NUM = (
    r"(?P<num>\d{1,2}(?:,\d\d)+,\d{3}(?:\.\d{1,2})?(?!\d)"  # Indian 1,20,000
    # 27,800.00; "BD 5,430.250" (fils: three decimals after the other separator)
    r"|\d{1,3}(?:(?P<g>" + _GROUP + r")\d{3})(?:(?P=g)\d{3})*"
    r"(?:[.,]\d{1,2}|(?!(?P=g))[.,]\d{3})?(?!\d)"
    r"|\d+(?:[.,]\d{1,2})?(?!\d))"  # 1200 1200.50 2.5
)
_UNIT = (
    r"(?:\s?(?P<unit>[kK]|[mM](?!\.\s?[nN]\b)|mn|mln|mio|million|thousand|grand|lakhs?|lacs?|crores?|bn|billion"
    r"|mil|tys\.?|tysięcy|tysiące|tsd\.?|millones|mill[oó]n|milh[oõ]es|milh[aã]o"
    r"|万|만|千|億|억|triệu|trieu|tỷ|juta|jt|ribu|rb|tr(?=\s?(?:đ|₫|vnd|dong)\b)"
    r"|man(?=\s?(?:won|yen|원|円))|(?-i:lucas|luca)"
    # "Rs 1.5L", "₹2 Cr": lakhs and crores as Indian business writes them (rupees only).
    r"|(?-i:L|Cr|cr))"
    r"(?![A-Za-z\u00c0-\u017f]))?"
)
_ADJ = r"(?:(?P<adj>" + "|".join(
    re.escape(k).replace(r"\ ", r"\s+") for k in sorted(ADJECTIVES, key=len, reverse=True)
) + r")\s+)?"
_WORD_CUR = (
    r"dollars?|bucks|euros?|pounds?(?:\s+sterling)?|quid|sterling|yen|rupees?|francs?|naira|rand"
    r"|reais|zlotys?|złoty|złotych|dirhams?|riyals?|ringgit|baht|yuan|rmb|renminbi|kronor|liras?"
    r"|cedis?|taka|zlotych|soles|franken|pesos?|dlls?|dls|shekels?|shekalim|dong|won|rupiah"
    r"|forints?|korun[ay]?|tenge|krona|kroner|krone|dinars?|rials?|shillings?"
)
_SUFFIX = (
    r"(?:\s?(?:de\s+)?(?P<post>€|£|₹|¥|\$|zł|zl|f\s?cfa|cfa|kz|dhs?|m\.\s?n\.?|₪|₺|₫|đ|৳|₸|₴|₾|元|円|원|฿|lei|kr\.?|:-"
    r"|(?-i:Kč|kč|Kc|Ft|TL|NIS|SR|BD|JD|KD|QR)(?![a-zA-Z])"
    # West Africa's "250 000 F" (francs CFA): only after a figure of four digits or more
    r"|(?<=\d{3}\s)(?-i:F)(?!\w|\.\w)|(?-i:" + "|".join(CODES)
    + r")|(?:"
    + "|".join(_LOWER_CODES)
    + r")(?![a-z])|" + _ADJ + r"(?:" + _WORD_CUR + r")(?![a-z])))?"
)
_NUMERIC = re.compile(
    r"(?<![\w.,/#\-])(?:" + _PREFIX + r"\s?)?" + _NUM + _UNIT + _SUFFIX + r"(?![\w$£€])",
    re.IGNORECASE,
)
_SMALL = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split())}
_NUMBER_WORD = (
    r"(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|"
    r"ninety|hundred|thousand|grand|million|lakhs?|lacs?|crores?|half|and)"
)
_WORDED = re.compile(
    r"\b(?P<words>" + _NUMBER_WORD + r"(?:[\s-]+" + _NUMBER_WORD + r")*)\s+" + _ADJ
    + r"(?P<cur>" + _WORD_CUR + r"|" + "|".join(CODES) + r")\b",
    re.IGNORECASE,
)
# "two grand", "five grand": money with no currency named, as a bare "5k" is ("a grand" is
# left out: "a grand total", "a grand opening").
_GRAND = re.compile(
    r"\b(?<!\bpoint\s)(?P<words>(?:(?!an?\b)" + _NUMBER_WORD
    + r"[\s-]+)+(?:and\s+a\s+half\s+)?(?:grand|k))\b"
    r"|\b(?:pay|send|do|get\s+you|give\s+you|transfer|wire)\s+(?P<a>a\s+grand)\b",
    re.IGNORECASE,
)
# Spoken money with no currency, as call transcripts write it: a number in words of a hundred
# or more right after a paying verb ("I can do two hundred now", "I'll pay the other three
# hundred", "send like a thousand"), not followed by what is counted ("two hundred units").
# A number in words of a hundred or more, not followed by what is counted ("two hundred
# units"): the part of a spoken sum after the words that lead into it.
# What is counted rather than paid: "two hundred units", "fourteen hundred hours".
_COUNTED = (
    r"(?!\s+(?:units?|pieces?|pcs|boxes|cases|cartons|pallets|items|bags|drums|rolls|metres|"
    r"meters|feet|kilos?|kg|pounds|dollars|bucks|euros|quid|days|hours|people|miles|km|"
    r"litres|liters|gallons|tons|tonnes|sheets|lengths|bricks|hrs|"
    r"cajas|piezas|unidades|llantas|neum[aá]ticos|litros|kilos|tarimas|caixas|pe[cç]as|rolos|"
    r"bobinas|paletes|sztuk|palet|rolek|kartony|d[ií]as|dias))"
)
_HUNDREDS_SAID = (
    r"(?P<words>(?:" + _NUMBER_WORD + r"[\s-]+)*(?:hundred|thousand)"
    r"(?:[\s-]+(?:and[\s-]+)?(?!hundred|thousand)" + _NUMBER_WORD + r")*)\b"
    + _COUNTED
)
_SPOKEN = re.compile(
    r"\b(?:pay|paying|do|send|sending|put|putting|make|have|owe|give|giving)\s+"
    r"(?:(?:you|it|like|about|around|maybe|another|only|just|the|full|other|last|remaining|"
    r"first|next)\s+){0,3}" + _HUNDREDS_SAID,
    re.IGNORECASE,
)
# Spoken money after "the", "all", "whole", "full" or "is", as people name a sum they owe
# ("the six hundred", "the whole eleven hundred", "what I can do is thirty two hundred"), with
# the same guards.
_SPOKEN_SUM = re.compile(
    r"\b(?:the|all|whole|full|is|rest,|balance,)\s+"
    r"(?:(?:whole|full|entire|total|remaining|other)\s+)?" + _HUNDREDS_SAID,
    re.IGNORECASE,
)
_UNIT_WORD = r"(?:one|two|three|four|five|six|seven|eight|nine)"
_TENS_WORD = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-]+" + _UNIT_WORD
    + r")?)"
)
_TEEN_OR_TENS = (
    r"(?:eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|"
    + _TENS_WORD + r")"
)
# Sums said the way prices are ("nineteen fifty" = 1,950, "six forty" = 640, "four thousand
# two fifty" = 4,250), only after a paying verb or "the/all/whole/full/is" and never before a
# clock word, a percentage or what is counted: "at six forty" and "the nineteen fifties" stay
# words.
_PAIRED = re.compile(
    r"\b(?:the|all|whole|full|pay|paying|do|send|sending|put|putting|owe|is)\s+"
    r"(?:(?:whole|full|total|remaining|other|about|like|maybe)\s+)?"
    r"(?P<words>(?:" + _UNIT_WORD + r"[\s-]+thousand[\s-]+)?(?:" + _TEEN_OR_TENS + r"|"
    + _UNIT_WORD + r")[\s-]+" + _TENS_WORD + r")\b"
    r"(?![\s-]*(?:s\b|am\b|pm\b|a\.m|p\.m|o'?clock|percent|%|minutes?|hours?|units?|pieces?|"
    r"cases|boxes|pallets|items|days|years?|people|th\b|first|second|third))",
    re.IGNORECASE,
)
# "two point five k", "one point two grand": a decimal said in words before k/grand/thousand.
_POINT_K = re.compile(
    r"\b(?P<words>(?P<int>" + _UNIT_WORD + r"|ten|eleven|twelve|" + _TEEN_OR_TENS
    + r")\s+point\s+(?P<dec>" + _UNIT_WORD + r")\s*(?P<unit>k|grand|thousand|million))\b",
    re.IGNORECASE,
)
_HUNDRED_REST = (
    r"(?:[\s-]+(?:and[\s-]+)?(?:" + _TEEN_OR_TENS + r"|ten|" + _UNIT_WORD + r"))?"
)
# Sums said in hundreds with no money word, wherever they stand in a call: "sixty four
# hundred", "twenty one hundred on the twenty first", "fourteen hundred now and fourteen
# hundred on the twentieth" (nobody counts goods in eleven-to-ninety-nine hundreds), and a
# single hundreds before when or how often it is paid ("five hundred on the first of every
# month", "a hundred a month", "two hundred a week starting Friday"). Weak, as a price said
# in pairs is.
_HUNDREDS_ALONE = re.compile(
    r"\b(?P<words>" + _TEEN_OR_TENS + r"[\s-]+hundred" + _HUNDRED_REST + r")\b"
    + _COUNTED + r"(?![\s-]+(?:thousand|hundred))"
    r"|\b(?P<small>(?:a|one|two|three|four|five|six|seven|eight|nine)[\s-]+(?:hundred|thousand)"
    + _HUNDRED_REST + r")\b(?=,?\s+(?:on|by|now|today|tonight|tomorrow|this|next|"
    r"a\s+(?:week|month|fortnight)|every|each|per|at\s+the\s+end|end|first\s+thing|starting|"
    r"from|(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b)",
    re.IGNORECASE,
)
# A sum said "even" or "flat" is money whatever leads into it: "three thousand even".
_EVEN = re.compile(
    r"\b(?P<words>(?:" + _NUMBER_WORD + r"[\s-]+)*(?:hundred|thousand|grand)"
    r"(?:[\s-]+(?:and[\s-]+)?" + _NUMBER_WORD + r")*)[\s,]+(?:even|flat|on\s+the\s+dot)\b",
    re.IGNORECASE,
)
# A figure with no currency right after a paying verb or a cheque "for", as texts and calls
# write it ("will send the 2,100 tomorrow", "do the whole 3,118.75 then", "e transfer 600
# tonite", "mail a check tmrw for the 860"): grouped, with cents, or three to six digits,
# never an invoice or order number, a date, a time, a percentage or what is counted. Weak, as
# a spoken sum is: it takes the account's or the message's currency.
_BARE_FIGURE = re.compile(
    r"(?:\b(?:pay|paying|send|sending|transfer|e-?\s?transfer|wire|deposit|remit|do|clear|"
    r"settle|put\s+through|full|whole|entire|totall?ing|amounting\s+to|payment\s+of"
    # Spanish and Portuguese: "le deposito los 2,800", "son los 850000", "mando o TED dos 2700"
    r"|pago|pagamos|deposito|depositamos|transfiero|transferimos|abono|abonamos|liquido|"
    r"liquidamos|consigno|consignamos|mando|mandamos|env[ií]o|enviamos|son|ser[ií]an|"
    r"fa[cç]o|fazemos|transfiro|pagarei|s[aã]o|ted|pix)"
    r"|\b(?:cheque|check)(?:\s+\w+){0,2}?\s+for)\s+"
    r"(?:(?:the|whole|full|entire|remaining|other|balance\s+of|about|like|maybe|only|just|"
    r"los|las|el|la|lo|os|as|o|a|dos|das|de|otros|outros|restantes|total)\s+)"
    # never a year ("the whole 2026 season"); grouped in thousands, the Indian way
    # ("2,80,000"), with dots or spaces, or plain
    r"{0,3}(?!20[2-3]\d(?![\d,.]))"
    r"(?P<fig>\d{1,3}(?:,\d{3})+(?:\.\d\d)?|\d{1,2}(?:,\d\d)+,\d{3}"
    r"|\d{1,3}(?:\.\d{3})+(?:,\d\d)?|\d{1,3}(?:[ \u00a0]\d{3})+(?![ \u00a0]?\d)|\d{3,7}(?:\.\d\d)?)"
    # "23,500/=" and "218,400/-": East African and South Asian ways of closing a sum.
    r"(?![\d:%-]|/(?![=-])|[.,]\d)"
    r"(?!\s*(?:th|st|nd|rd|am|pm|a\.m|p\.m|hrs?|h)\b)"
    r"(?!\s+(?:invoices?|bills?|orders?|POs?|accounts?|statements?|lines?)\b)" + _COUNTED,
    re.IGNORECASE,
)
# Spoken Spanish and Portuguese name the sum after the promise, set off by a comma: "se lo
# pagamos a fin de mes, los 1874 con 20", "pago dia 29, os 2760" (number words already digits,
# nlp.numberwords), cents after "con", "y" or "e". Weak, as a spoken sum is.
_APPOSED_FIGURE = re.compile(
    # Led by its article, so that a scan starts at those words rather than at every comma.
    r"(?:(?<=[,;])|(?<=[,;]\s))(?:(?:son|s[aã]o|serían|seriam)\s+)?(?:los|las|os|as|unos|uns)\s+"
    r"(?P<fig>\d{1,3}(?:\.\d{3})+|\d{3,7})(?:\s+(?:con|y|e)\s+(?P<cents>\d{1,2})(?!\d))?"
    r"(?![\d/:%-]|[.,]\d)" + _COUNTED,
    re.IGNORECASE,
)
# Tried only where a match can start (nlp.dates.Scanner): the same matches, far fewer attempts.
_NUMERIC_SCAN = SCANNER.add(_NUMERIC)
_WORDED_SCAN = SCANNER.add(_WORDED)
_GRAND_SCAN = SCANNER.add(_GRAND)
_SPOKEN_SCAN = SCANNER.add(_SPOKEN)
_SPOKEN_SUM_SCAN = SCANNER.add(_SPOKEN_SUM)
_HUNDREDS_ALONE_SCAN = SCANNER.add(_HUNDREDS_ALONE)
_PAIRED_SCAN = SCANNER.add(_PAIRED)
_POINT_K_SCAN = SCANNER.add(_POINT_K)
_EVEN_SCAN = SCANNER.add(_EVEN)
_BARE_FIGURE_SCAN = SCANNER.add(_BARE_FIGURE)
_APPOSED_FIGURE_SCAN = SCANNER.add(_APPOSED_FIGURE)
_GROUPING_SPACE = re.compile(r"[ \u00a0\u202f]")
_NUMBER_SPACE = re.compile(r"[ '’\u00a0\u202f]")
_WORD_SPLIT = re.compile(r"[\s-]+")
_WORD_START = re.compile(r"(?:^|(?<=[\s-]))\S")


@dataclass(frozen=True, slots=True)
class Money:
    start: int
    end: int
    amount: float
    currency: str | None
    # Read from a spoken sum with no money word ("the six forty"): the promise's amount when
    # nothing firmer is said, but no guide to which sentence or date holds the promise.
    spoken: bool = False
    # The currency came from a symbol or word several currencies are written with ("$",
    # "dollars", "Rs", "rupees"): `currency` is its usual reading, and nlp.currency may settle
    # it from the rest of the message.
    shared: str | None = None


def parse_number(raw: str) -> float | None:
    """A written number with thousands and decimal separators in any common convention.

    One separator followed by exactly three digits groups thousands ("1.200", "1,200"); with
    two different separators the last one is the decimal mark.
    """
    s = _NUMBER_SPACE.sub("", raw)
    if "," in s and "." in s:
        decimal = "," if s.rfind(",") > s.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        s = s.replace(thousands, "").replace(decimal, ".")
    elif "," in s:
        head, _, tail = s.rpartition(",")
        s = s.replace(",", "") if len(tail) == 3 else head.replace(",", "") + "." + tail
    elif "." in s:
        parts = s.split(".")
        if len(parts) > 2 or len(parts[-1]) == 3:
            s = s.replace(".", "")
    try:
        return float(s)
    except ValueError:
        return None


# "one lakh forty thousand" is 140,000, as India and Pakistan say it.
_BIG = {"thousand": 1e3, "grand": 1e3, "k": 1e3, "million": 1e6, "lakh": 1e5, "lakhs": 1e5,
        "lac": 1e5, "lacs": 1e5, "crore": 1e7, "crores": 1e7}


def words_to_number(text: str) -> float | None:
    """ "twelve hundred" -> 1200, "two and a half thousand" -> 2500, "eighty-five hundred" -> 8500.

    Sequences no one says ("ten three hundred", a typo for "then three hundred") are
    rejected, so the caller can retry without the stray word instead of reading 1,300.
    """
    tokens = [t for t in _WORD_SPLIT.split(text.lower()) if t and t != "and"]
    total, current, last = 0.0, 0.0, ""
    i = 0
    while i < len(tokens):
        t = tokens[i]
        pair = tokens[i + 1] if i + 1 < len(tokens) else ""
        if (t, pair) in (("a", "half"), ("an", "half"), ("half", "a"), ("half", "an")):
            current += 0.5
            i += 2
            last = "half"
            continue
        kind = _word_kind(t)
        if kind is None or last not in _MAY_FOLLOW[kind]:
            return None
        if kind == "one":
            current = 1.0
        elif kind in ("unit", "teen"):
            current += _SMALL[t]
        elif kind == "tens":
            current += _TENS[t]
        elif kind == "hundred":
            current = (current or 1) * 100
        elif kind == "big":
            total += (current or 1) * _BIG[t]
            current = 0.0
        else:  # a lone "half"
            current += 0.5
        last = kind
        i += 1
    value = total + current
    return value if last and value >= 1 else None


def paired_to_number(text: str) -> float | None:
    """A sum said as two numbers, hundreds then the rest: "nineteen fifty" -> 1950, "seven
    twenty five" -> 725, "four thousand two fifty" -> 4250; None for anything else."""
    tokens = [t for t in _WORD_SPLIT.split(text.lower()) if t]
    thousands = 0.0
    if len(tokens) > 2 and tokens[1] == "thousand":
        thousands = _SMALL[tokens[0]] * 1000.0
        tokens = tokens[2:]
    for cut in (1, 2):
        high, low = _two_digit(tokens[:cut]), _two_digit(tokens[cut:])
        if high is not None and low is not None and low >= 20:
            if high == 20 and not thousands and low < 40:
                return None  # "twenty twenty six" is a year
            return thousands + high * 100 + low
    return None


def _two_digit(tokens: list[str]) -> int | None:
    """1-99 from one or two words ("six", "nineteen", "forty", "twenty five")."""
    if len(tokens) == 1:
        t = tokens[0]
        return _SMALL.get(t) or _TENS.get(t)
    if len(tokens) == 2 and tokens[0] in _TENS and 0 < _SMALL.get(tokens[1], 0) < 10:
        return _TENS[tokens[0]] + _SMALL[tokens[1]]
    return None


def _point_k(text: str) -> float | None:
    m = _POINT_K.match(text)
    if m is None:
        return None
    whole = words_to_number(m.group("int"))
    scale = 1_000_000 if m.group("unit").lower() == "million" else 1000
    return None if whole is None else (whole + _SMALL[m.group("dec").lower()] / 10) * scale


# Which word kind may follow which ("" = start): "twenty two" yes, "ten three" no.
_MAY_FOLLOW = {
    "one": {""},
    "unit": {"", "tens", "hundred", "big"},
    "teen": {"", "hundred", "big"},
    "tens": {"", "hundred", "big"},
    # "the hundred and twenty thousand": a hundred said without its "a"
    "hundred": {"", "one", "unit", "teen", "tens"},
    "big": {"", "one", "unit", "teen", "tens", "hundred", "half"},
    "half": {"unit", "teen", "tens", "hundred"},
}


def _word_kind(word: str) -> str | None:
    kinds = {"a": "one", "an": "one", "hundred": "hundred", "half": "half", **dict.fromkeys(
        _BIG, "big")}
    if word in _SMALL:
        return "unit" if _SMALL[word] < 10 else "teen"
    if word in _TENS:
        return "tens"
    return kinds.get(word)


def find_amounts(text: str) -> list[Money]:
    """Every money amount in `text`, left to right, none overlapping."""
    found = [money for m in _NUMERIC_SCAN.matches(text) if (money := _numeric(m)) is not None]
    for m in _WORDED_SCAN.matches(text):
        money = _worded(m)
        if money is not None and not any(
                f.start < money.end and money.start < f.end
                # "₦14,750,000.00 (Fourteen Million, Seven Hundred and Fifty Thousand Naira
                # only)": the figure said again in words, in part
                or _RESTATED.match(text, f.end, money.start) for f in found):
            found.append(money)
    for scan, read, spoken in ((_GRAND_SCAN, words_to_number, False),
                               (_SPOKEN_SCAN, words_to_number, False),
                               (_SPOKEN_SUM_SCAN, words_to_number, True),
                               (_HUNDREDS_ALONE_SCAN, words_to_number, True),
                               (_POINT_K_SCAN, _point_k, True),
                               (_PAIRED_SCAN, paired_to_number, True),
                               (_EVEN_SCAN, words_to_number, False),
                               (_BARE_FIGURE_SCAN, parse_number, True)):
        for m in scan.matches(text):
            group = next(g for g in ("words", "a", "small", "fig") if g in m.re.groupindex
                         and m.group(g) is not None)
            start, end = m.span(group)
            value = read(m.group(group))
            if read is words_to_number:
                if value is None:  # "the hundred and twenty thousand - hundred twenty"
                    end, value = _longest_said(text, start, end)
                if value is not None:
                    start, value = _said_before(text, start, text[start:end], value)
            if value is not None and value >= 100 and not any(
                f.start < end and start < f.end for f in found
            ):
                found.append(Money(start, end, value, None, spoken))
    for m in _APPOSED_FIGURE_SCAN.matches(text):
        start, end = m.start("fig"), m.end("cents" if m.group("cents") else "fig")
        value = parse_number(m.group("fig"))
        if value is not None and m.group("cents"):
            value += int(m.group("cents")) / 100
        if value is not None and value >= 100 and not any(
                f.start < end and start < f.end for f in found):
            found.append(Money(start, end, round(value, 2), None, True))
    found.sort(key=lambda f: f.start)
    return [_part_of(text, f) for f in found]


# "half the $2,480", "50% of the balance of $3,960": the part is the sum paid.
_PART_BEFORE = re.compile(
    r"\b(?:(?P<half>half)|(?P<third>a\s+third)|(?P<quarter>a\s+quarter)|(?P<pct>\d{1,2})\s?%)"
    r"\s+(?:of\s+)?(?:the\s+|that\s+|this\s+)?(?:(?:total|balance|amount|invoice)\s+"
    r"(?:of\s+)?)?$",
    re.IGNORECASE,
)
_PARTS = {"half": 0.5, "third": 1 / 3, "quarter": 0.25}


def _part_of(text: str, money: Money) -> Money:
    lead = _PART_BEFORE.search(text, max(0, money.start - 40), money.start)
    if lead is None:
        return money
    name = lead.lastgroup or ""
    share = int(lead.group("pct")) / 100 if name == "pct" else _PARTS[name]
    return replace(money, start=lead.start(), amount=round(money.amount * share, 2))


_RESTATED = re.compile(r"\s*\((?:[^()\d]{0,80})$")
_WORDS_BEFORE = re.compile(r"(?:\b" + _NUMBER_WORD + r"[\s-]+)+$", re.IGNORECASE)


def _longest_said(text: str, start: int, end: int) -> tuple[int, float | None]:
    """The longest run of number words from `start` that is a number someone says: a sum
    said and then said again ("the hundred and twenty thousand - hundred twenty") is the
    first saying."""
    ends = [m.start() for m in re.finditer(r"\s+[-–—]+\s+", text[start:end])]
    for cut in reversed(ends):
        value = words_to_number(text[start : start + cut])
        if value is not None:
            return start + cut, value
    return end, None


def _said_before(text: str, start: int, words: str, value: float) -> tuple[int, float]:
    """A spoken sum found from its middle ("pay, ah, four thousand | one hundred and twenty")
    starts at the number words right before it, when they make a larger number with it."""
    lead = _WORDS_BEFORE.search(text, max(0, start - 60), start)
    if lead is not None:
        for word in _WORD_START.finditer(text, lead.start(), start):
            longer = words_to_number(text[word.start() : start] + words)
            if longer is not None and longer > value:
                return word.start(), longer
    return start, value


def _worded(m: re.Match[str]) -> Money | None:
    """A number in words before a currency word; stray leading words are dropped one by one."""
    words = m.group("words")
    for lead in _WORD_START.finditer(words):
        candidate = words[lead.start() :]
        head = candidate.lower().split()
        if head[0] == "and" or (head[0] == "half" and head[1:2] not in (["a"], ["an"])):
            continue
        value = words_to_number(candidate)
        if value is not None:
            post = m.string[m.start("adj") if m.group("adj") else m.start("cur") : m.end()]
            currency = _currency(None, post, m.group("adj"))
            return Money(m.start("words") + lead.start(), m.end(), value, currency,
                         shared=_shared(None, post, m.group("adj")))
    return None


_PAYS_BEFORE = re.compile(
    r"\b(?:(?:pay|paying|send|sending|transfer|wire|remit|clear|settle|release)\s+(?:the\s+)?"
    # "PDC of 1.5L", "cheque of 2L": a cheque's sum
    r"|(?:pdcs?|cheques?|checks?|dd|draft)\s+(?:of|for)\s+)$",
    re.IGNORECASE)


def _numeric(m: re.Match[str]) -> Money | None:
    pre, post, unit = m.group("pre"), m.group("post"), m.group("unit")
    if not (pre or post or unit):
        return None
    num = m.group("num")
    value = parse_number(num)
    if value is None:
        return None
    if unit in _RUPEE_UNITS and _shared(pre, post, None) != "rs" and _currency(
            pre, post, None) not in _RUPEES:
        # "20L drums" are litres and "$500 Cr" a credit: not lakhs or crores away from rupees.
        if not (pre or post):
            if unit == "L" and _PAYS_BEFORE.search(m.string, max(0, m.start() - 24), m.start()):
                return Money(m.start(), m.end(), round(value * 1e5, 2), None)
            return None
        unit = None
        if post is None:
            return Money(m.start(), m.end("num"), round(value, 2),
                         _currency(pre, post, m.group("adj")),
                         shared=_shared(pre, post, m.group("adj")))
    if unit:
        if unit in ("m", "M") and not (pre or post) and not _PAYS_BEFORE.search(
                m.string, max(0, m.start() - 24), m.start()):
            return None  # "5m" alone is more likely metres or minutes; "pay 2.5m" is money
        value *= _UNITS[unit.lower()]
    currency = _currency(pre, post, m.group("adj"))
    shared = _shared(pre, post, m.group("adj"))
    if currency is None and shared is None and unit:
        currency = _UNIT_CURRENCY.get(unit.lower())
        shared = _UNIT_SHARED.get(unit)
    if currency is None and shared is None and not unit:
        return None
    if unit is None and not _plausible_grouping(num):
        return None
    return Money(m.start(), m.end(), round(value, 2), currency, shared=shared)


_RUPEE_UNITS = ("L", "Cr", "cr")
_RUPEES = ("INR", "PKR", "NPR", "LKR")
# Symbols and words written for more than one currency, by the family nlp.currency knows.
_SHARED = {"$": "$", "dollars": "$", "dollar": "$", "bucks": "$", "rs": "rs", "rs.": "rs",
           "rupees": "rs", "rupee": "rs", "pesos": "pesos", "peso": "pesos", "dh": "dh",
           "dhs": "dh", "dirhams": "dh", "dirham": "dh", "¥": "¥", "pounds": "pounds",
           "pound": "pounds", "riyals": "riyal", "riyal": "riyal", "rials": "riyal",
           "rial": "riyal", "dinars": "dinar", "dinar": "dinar", "kr": "kr", "kr.": "kr",
           "kroner": "kr", "krone": "kr", ":-": "kr", "shillings": "shilling",
           "shilling": "shilling"}
# Units of one country's counting: "3.2 juta" is rupiah, "500만원" won, "120tr" dong; 万
# is counted in yuan and in yen.
_UNIT_CURRENCY = {"juta": "IDR", "jt": "IDR", "ribu": "IDR", "rb": "IDR", "만": "KRW",
                  "억": "KRW", "tr": "VND", "triệu": "VND", "trieu": "VND", "tỷ": "VND"}
_UNIT_SHARED = {"万": "¥", "億": "¥", "千": "¥", "lucas": "pesos", "luca": "pesos"}


def _shared(pre: str | None, post: str | None, adj: str | None) -> str | None:
    """The shared symbol the currency was read from, if it was ("$980 AUD" names its own)."""
    if adj:
        return None
    said = (post or pre or "").lower().split()
    return _SHARED.get(said[0]) if said else None


def _currency(pre: str | None, post: str | None, adj: str | None) -> str | None:
    """A trailing code or word outranks a leading symbol: "$980 AUD" is Australian."""
    if post:
        p = " ".join(post.lower().split())
        if adj:
            p = p[len(" ".join(adj.split())):].strip()
            named = ADJECTIVES.get(" ".join(adj.lower().split()))
            if named and p.split()[0] not in ("euros", "euro", "quid", "sterling"):
                return named
        if p.upper() in CODES:
            return p.upper()
        if p in SYMBOLS:
            return SYMBOLS[p]
        return WORDS.get(p.split()[0])
    if pre:
        p = pre.lower()
        return p.upper() if p.upper() in CODES else SYMBOLS.get(p)
    return None


def _plausible_grouping(num: str) -> bool:
    """'4 500' is grouped; '12 30' is two numbers."""
    if not _GROUPING_SPACE.search(num):
        return True
    groups = _GROUPING_SPACE.split(num)
    return all(len(g) >= 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3
