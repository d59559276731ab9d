"""Money amounts in the shapes customers write them, with their ISO 4217 currency."""

from __future__ import annotations

import pytest

from nlp.amounts import find_amounts, parse_number, words_to_number


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("$27,800.00", 27800.0, "USD"),
        ("$1,200", 1200.0, "USD"),
        ("USD 1,200.00", 1200.0, "USD"),
        ("USD 1.200", 1200.0, "USD"),
        ("USD 25.600", 25600.0, "USD"),
        ("1,200 dollars", 1200.0, "USD"),
        ("4 500 EUR", 4500.0, "EUR"),
        ("4\u00a0500 €", 4500.0, "EUR"),
        ("€1.250,50", 1250.5, "EUR"),
        ("1.250,50 €", 1250.5, "EUR"),
        ("1 234,56 EUR", 1234.56, "EUR"),
        ("EUR 12,400.00", 12400.0, "EUR"),
        ("4500 euros", 4500.0, "EUR"),
        ("£3,000.00", 3000.0, "GBP"),
        ("£3k", 3000.0, "GBP"),
        ("£7.5k", 7500.0, "GBP"),
        ("1250 quid", 1250.0, "GBP"),
        ("CHF 2'300", 2300.0, "CHF"),
        ("CHF 2,300.00", 2300.0, "CHF"),
        ("INR 1,20,000", 120000.0, "INR"),
        ("₹7,63,000", 763000.0, "INR"),
        ("Rs. 45,000", 45000.0, "INR"),
        ("Rs 1.5 lakh", 150000.0, "INR"),
        ("Rs 1.5L", 150000.0, "INR"),  # lakhs and crores as Indian business abbreviates them
        ("₹2L", 200000.0, "INR"),
        ("INR 2.4 Cr", 24000000.0, "INR"),
        ("PKR 3.5L", 350000.0, "PKR"),
        ("C$3,400", 3400.0, "CAD"),
        ("CAD 3,400", 3400.0, "CAD"),
        ("3,400 CAD", 3400.0, "CAD"),
        ("3,400 Canadian dollars", 3400.0, "CAD"),
        ("$980 AUD", 980.0, "AUD"),
        ("6 800,00 $", 6800.0, "USD"),  # Québec's order; nlp.currency makes it CAD there
        ("Dhs 4,500", 4500.0, "AED"),
        ("48 600,00 DH", 48600.0, "AED"),  # Moroccan from Morocco's clock (nlp.currency)
        ("12 450,00 zł", 12450.0, "PLN"),
        ("S/ 2,350.00", 2350.0, "PEN"),
        ("150 000 FCFA", 150000.0, "XOF"),
        ("3 mil reais", 3000.0, "BRL"),
        ("2 tys. zł", 2000.0, "PLN"),
        ("$33,180.50 M.N.", 33180.5, "MXN"),
        ("$2,340.00 dlls", 2340.0, "USD"),
        ("COP 3.500.000", 3500000.0, "COP"),
        ("A$980", 980.0, "AUD"),
        ("AUD 980", 980.0, "AUD"),
        ("JPY 450,000", 450000.0, "JPY"),
        ("¥450,000", 450000.0, "JPY"),
        ("450,000 yen", 450000.0, "JPY"),
        ("$5k", 5000.0, "USD"),
        ("5k usd", 5000.0, "USD"),
        ("2.5k usd", 2500.0, "USD"),
        ("$1.2m", 1200000.0, "USD"),
        ("5k", 5000.0, None),
        ("twelve hundred dollars", 1200.0, "USD"),
        ("two and a half thousand pounds", 2500.0, "GBP"),
        ("seven hundred and fifty dollars", 750.0, "USD"),
        ("twenty-two hundred euros", 2200.0, "EUR"),
        ("twelve thousand five hundred euros", 12500.0, "EUR"),
        ("One thousand euros", 1000.0, "EUR"),
        ("half a million dollars", 500000.0, "USD"),
        ("a hundred and fifty quid", 150.0, "GBP"),
        ("two grand", 2000.0, None),
        ("twenty five grand", 25000.0, None),
        ("two grand dollars", 2000.0, "USD"),
        ("1,120,500 naira", 1120500.0, "NGN"),
        ("500 rand", 500.0, "ZAR"),
        ("3.000 reais", 3000.0, "BRL"),
        ("1 200 złotych", 1200.0, "PLN"),
        ("2,000 dirhams", 2000.0, "AED"),
        ("50,000 yuan", 50000.0, "CNY"),
        ("R3 200", 3200.0, "ZAR"),
        ("R1,100", 1100.0, "ZAR"),
        ("N480,000", 480000.0, "NGN"),
        ("KSh 7,500", 7500.0, "KES"),
        ("ksh 10k", 10000.0, "KES"),
        ("Rp 2.000.000", 2000000.0, "IDR"),
        ("GHS 8,200", 8200.0, "GHS"),
        ("PKR 1,50,000", 150000.0, "PKR"),
        ("LKR 125,000", 125000.0, "LKR"),
        ("Tk 30,000", 30000.0, "BDT"),
        ("RM 1,000", 1000.0, "MYR"),
        ("GH₵ 450", 450.0, "GHS"),
        ("TT$ 5,000", 5000.0, "TTD"),
        ("J$12,000", 12000.0, "JMD"),
        ("4,500 cedis", 4500.0, "GHS"),
        ("eighteen thousand TT dollars", 18000.0, "TTD"),
        ("fifty thousand Jamaican dollars", 50000.0, "JMD"),
        ("eleven hundred Barbados dollars", 1100.0, "BBD"),
    ],
)
def test_amount_shapes(text: str, amount: float, currency: str | None) -> None:
    found = find_amounts(f"We will pay {text} on Friday.")
    assert [(m.amount, m.currency) for m in found] == [(amount, currency)]
    assert f"We will pay {text} on Friday."[found[0].start : found[0].end] == text


@pytest.mark.parametrize(
    ("text", "amount", "currency", "figure"),
    [
        # South African rand written with a space after the R, before grouped figures only.
        ("Will EFT R 12 500,00 on the 25th", 12500.0, "ZAR", "R 12 500,00"),
        ("when we pay the R 7 250,00 on Friday", 7250.0, "ZAR", "R 7 250,00"),
        # A bare sum closed the East African way, and one three words after its verb.
        ("I will clear the balance of 23,500/= on Saturday.", 23500.0, None, "23,500"),
        ("we'll settle the full balance of 4,310.20 on 10/15.", 4310.2, None, "4,310.20"),
    ],
)
def test_local_ways_of_writing_a_sum(text: str, amount: float, currency: str | None,
                                     figure: str) -> None:
    [money] = find_amounts(text)
    assert (money.amount, money.currency, text[money.start : money.end]) == (
        amount, currency, figure)


@pytest.mark.parametrize(
    ("text", "amount", "currency", "shared"),
    [
        # The Gulf's letters before the sum, fils in three decimals.
        ("can we pay BD 900 next sunday", 900.0, "BHD", None),
        ("JD 4,000 on 15/12/2026", 4000.0, "JOD", None),
        ("We will pay KD 2,400 on Tuesday", 2400.0, "KWD", None),
        ("BD 5,430.250 will be transferred", 5430.25, "BHD", None),
        ("58k SR will be transferred", 58000.0, "SAR", None),
        ("We will pay LE 275,000 on Sunday", 275000.0, "EGP", None),
        ("Amount 42,000 ₪ incl.", 42000.0, "ILS", None),
        ("We will pay ฿ 268,000 on 29 Jan", 268000.0, "THB", None),
        ("the balance RMB 86,000 before Chinese New Year", 86000.0, "CNY", None),
        # Letters and symbols after the sum.
        ("420.000 TL will be paid", 420000.0, "TRY", None),
        ("The payment of 2.340.000 Ft will be initiated", 2340000.0, "HUF", None),
        ("we will pay 186 500 Kč by the end of the month", 186500.0, "CZK", None),
        ("can we pay 9,000 shekel next sunday", 9000.0, "ILS", None),
        ("We will pay 450 million dong on 25/11", 450000000.0, "VND", None),
        ("We will pay N2.5m on Monday", 2500000.0, "NGN", None),
        ("el pago de los 18 millones de pesos queda", 18000000.0, "MXN", "pesos"),
        # Counted the country's way: 万 and 만 are ten thousand, "juta" and "tr" a million.
        ("Regarding Invoice 26-05588 (120万円)", 1200000.0, "JPY", None),
        ("we pay 500만원 first this friday", 5000000.0, "KRW", None),
        ("We pay 350 man won tomorrow", 3500000.0, "KRW", None),
        ("we transfer 120tr đ next wednesday", 120000000.0, "VND", None),
        ("we transfer the 3.2 juta this friday", 3200000.0, "IDR", None),
        ("we pay 5万 first", 50000.0, None, "¥"),
        # Names several countries write: their currency is settled where the customer is.
        ("we send 15 million dinar on thursday", 15000000.0, None, "dinar"),
        ("we pay 12 500 kr on the 25th", 12500.0, None, "kr"),
        ("we pay 38 000:- on monday", 38000.0, None, "kr"),
        ("150 thousand pounds tomorrow", 150000.0, "GBP", "pounds"),
        # West Africa's francs CFA written "F"; Chile's and Argentina's "lucas" (thousands).
        ("j'envoie 250 000 F par Wave demain", 250000.0, "XOF", None),
        ("je paie 1 500 F.", 1500.0, "XOF", None),
        ("le transfiero al tiro las 320 lucas", 320000.0, None, "pesos"),
    ],
)
def test_sums_written_the_worlds_ways(
        text: str, amount: float, currency: str | None, shared: str | None) -> None:
    [money] = find_amounts(text)
    assert (money.amount, money.currency, money.shared) == (amount, currency, shared)


@pytest.mark.parametrize(
    "text",
    [
        "the cable run is 500 ft long",  # feet, not forints
        "LE 15 DÉCEMBRE",  # a French date in capitals, not Egyptian pounds
        "a crew of 5 man",
        "page 12 of the contract",
        "it was 45 F outside",  # no francs under four digits
        "Form 1040 F.1",
    ],
)
def test_letters_after_a_number_that_are_no_currency(text: str) -> None:
    assert find_amounts(text) == []


@pytest.mark.parametrize(
    ("text", "said", "amount", "currency"),
    [
        ("Sir PDC of 1.5L dated 10-01-2027 given to your rep", "1.5L", 150000.0, None),
        ("I will pay 1.5L on Friday", "1.5L", 150000.0, None),
        ("Closing balance $500 Cr on the statement", "$500", 500.0, "USD"),  # a credit
        ("£1,250.00 Cr", "£1,250.00", 1250.0, "GBP"),
    ],
)
def test_l_and_cr_are_lakhs_and_crores_only_for_rupees_or_a_payment(
    text: str, said: str, amount: float, currency: str | None
) -> None:
    [found] = find_amounts(text)
    assert (text[found.start : found.end], found.amount, found.currency) == (
        said, amount, currency)


def test_a_sum_said_again_in_words_is_the_figures() -> None:
    text = ("the sum of ₦14,750,000.00 (Fourteen Million, Seven Hundred and Fifty Thousand "
            "Naira only) will be paid")
    assert [(m.amount, m.currency) for m in find_amounts(text)] == [(14750000.0, "NGN")]


@pytest.mark.parametrize(
    "text",
    [
        "please ship 500 by Friday",  # a bare number could be a quantity or a reference
        "Room R 12 on level 3",  # a spaced R is rand only before grouped figures
        "INV-1200 EUR is overdue",
        "call me on 555-0193",
        "the order of 2026",
        "it is 5m long",
        "try 500 more",
        "we sent 120 units on 12/03",
        "due on the 15th",
        "a few dollars",
        "a grand total of five pallets",
        "the grand opening is on the 5th",
        "room R101 is free",  # a letter before digits is a symbol only before grouped digits
        "order 200 N95 masks",
        "part N12345 and R2",
        "tk 500 of them",  # "Tk" for taka is written with a capital
        "see you at six forty",  # a time, not a sum
        "the twenty twenty six budget",  # a year
        "the nineteen fifties",
        "the twenty first of May",
        "I will pay at two thirty pm",
        "the two hundred units",
        "20L drums of hydraulic oil",  # litres
        "we need 20L of diesel",
    ],
)
def test_not_amounts(text: str) -> None:
    assert find_amounts(text) == []


@pytest.mark.parametrize(
    ("text", "amount", "words"),
    [
        ("I can do two hundred now", 200.0, "two hundred"),
        ("I'll do the other three hundred at the end of the month", 300.0, "three hundred"),
        ("I can put a thousand on it today", 1000.0, "a thousand"),
        ("I'll pay the full five hundred sixty on my debit card", 560.0, "five hundred sixty"),
        ("we can send like twelve hundred on Friday", 1200.0, "twelve hundred"),
    ],
)
def test_spoken_amounts_after_a_paying_verb(text: str, amount: float, words: str) -> None:
    [money] = find_amounts(text)
    assert (money.amount, money.currency, text[money.start : money.end]) == (amount, None, words)


@pytest.mark.parametrize(
    "text",
    [
        "we ordered two hundred units",  # what is counted follows
        "I can do seventy five a week",  # under a hundred: too like a count or a time
        "two hundred people work here",  # no paying verb before it
        "they have two hundred pallets in the yard",
    ],
)
def test_spoken_numbers_that_are_not_money(text: str) -> None:
    assert find_amounts(text) == []


def test_several_amounts_left_to_right() -> None:
    text = "£7.5k 2moro, rest (£2k) sep 13, not the twelve hundred dollars quoted"
    assert [(m.amount, m.currency) for m in find_amounts(text)] == [
        (7500.0, "GBP"), (2000.0, "GBP"), (1200.0, "USD")]


def test_stray_word_before_a_worded_amount_is_dropped() -> None:
    # "then" typed as "ten": not 1,350
    [money] = find_amounts("and ten three hundred and fifty pounds on the fifth")
    assert money.amount == 350.0


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1.200", 1200.0), ("1,200", 1200.0), ("1.5", 1.5), ("1,5", 1.5), ("1.250,50", 1250.5),
     ("1,250.50", 1250.5), ("2'300", 2300.0), ("1,20,000", 120000.0), ("1.200.000", 1200000.0),
     ("4 500", 4500.0)],
)
def test_parse_number_separators(raw: str, value: float) -> None:
    assert parse_number(raw) == value


@pytest.mark.parametrize(
    ("words", "value"),
    [("twelve hundred", 1200.0), ("two and a half thousand", 2500.0),
     ("eighty-five hundred", 8500.0), ("a thousand", 1000.0), ("twenty three", 23.0),
     ("ten three hundred", None), ("hundred hundred", None), ("and", None)],
)
def test_words_to_number(words: str, value: float | None) -> None:
    assert words_to_number(words) == value


@pytest.mark.parametrize(
    ("text", "amount", "words"),
    [
        ("we owe you the nineteen fifty, that's right", 1950.0, "nineteen fifty"),
        ("the six forty, I'll pay that Thursday", 640.0, "six forty"),
        ("I'll pay it Thursday, uh, the eighteen seventy five", 1875.0, "eighteen seventy five"),
        ("I'll do thirty two fifty on the tenth", 3250.0, "thirty two fifty"),
        ("I can put two fifty on it today", 250.0, "two fifty"),
        ("the four thousand two fifty", 4250.0, "four thousand two fifty"),
        ("the whole eleven fifty", 1150.0, "eleven fifty"),
        ("what I can do is thirty two hundred", 3200.0, "thirty two hundred"),
        ("all sixty eight hundred", 6800.0, "sixty eight hundred"),
        ("the full twenty two thousand", 22000.0, "twenty two thousand"),
        ("two point five k this Friday", 2500.0, "two point five k"),
    ],
)
def test_sums_said_as_prices_are_weak_amounts(text: str, amount: float, words: str) -> None:
    [money] = find_amounts(text)
    assert (money.amount, money.currency, text[money.start : money.end]) == (amount, None, words)
    assert money.spoken  # the promise's amount, but no guide to its sentence or date


@pytest.mark.parametrize(
    ("text", "amount", "words", "spoken"),
    [
        # Hundreds from eleven to ninety-nine: how sums are said, wherever they stand.
        ("it'll be in the June payment run, so the thirtieth, sixty four hundred", 6400.0,
         "sixty four hundred", True),
        ("we can do that, twenty one hundred on the twenty first", 2100.0,
         "twenty one hundred", True),
        ("I'm putting it in for Wednesday, nineteen hundred and twenty", 1920.0,
         "nineteen hundred and twenty", True),
        # A single hundreds before when or how often it is paid.
        ("Okay so five hundred on the first of every month", 500.0, "five hundred", True),
        ("could we do like a payment plan a hundred a month", 100.0, "a hundred", True),
        ("I can do two hundred a week starting this Friday", 200.0, "two hundred", True),
        # "a grand" after a paying verb, and a half said before "grand".
        ("I can get you a grand by Friday", 1000.0, "a grand", False),
        ("full amount, eight and a half grand, you've got my word", 8500.0,
         "eight and a half grand", False),
        # Rand with a space for thousands and a comma for cents, or cents alone.
        ("Payment of R31 400,00 will be made on the 25th", 31400.0, "R31 400,00", False),
        ("R450.00 now, the rest Friday", 450.0, "R450.00", False),
    ],
)
def test_sums_said_without_a_money_word(text: str, amount: float, words: str,
                                        spoken: bool) -> None:
    [money] = find_amounts(text)
    assert (money.amount, text[money.start : money.end], money.spoken) == (amount, words, spoken)


@pytest.mark.parametrize(
    ("text", "amount", "words", "spoken"),
    [
        # A figure with no currency right after a paying verb, or a cheque "for": weak.
        ("sorry for the late msg, will send the 2,100 tomorrow first thing", 2100.0, "2,100",
         True),
        ("Cant pay till the 20th. Will do the whole 3,118.75 then", 3118.75, "3,118.75", True),
        ("ill mail a check tmrw for the 860", 860.0, "860", True),
        ("Ill e transfer 600 tonite", 600.0, "600", True),
        ("will pay 2,450 on Friday Nov 13", 2450.0, "2,450", True),
        ("we'll send the 1,200.50.", 1200.5, "1,200.50", True),
        # After "the full" or "the whole", or a total, with any grouping.
        ("Monday coming I'll make the payment. The full 32 000.", 32000.0, "32 000", True),
        ("The 4 invoices totalling 7,420.00 have been approved", 7420.0, "7,420.00", True),
        # Said in words: a million with a decimal, lakhs as India says them, after "give".
        ("Give me till end of December, I'll pay the whole one point eight million.",
         1800000.0, "one point eight million", True),
        ("Once he signs I'll do the RTGS same day, the full one lakh forty thousand.",
         140000.0, "one lakh forty thousand", True),
        ("What I can do is give you ten thousand end of the month", 10000.0, "ten thousand",
         False),
        # A payment "of" a figure grouped the Indian way; "2.5m" after a paying verb; a "k"
        # after number words; a spoken sum after "the rest,".
        ("Payment of 2,80,000 will be processed by 12th Nov.", 280000.0, "2,80,000", True),
        ("Pls we will pay 2.5m on Friday", 2500000.0, "2.5m", False),
        ("we can do eight and a half k on Friday", 8500.0, "eight and a half k", False),
        ("The rest, one lakh twelve thousand, we will pay on thirty-first.", 112000.0,
         "one lakh twelve thousand", True),
        # A spoken sum found from its middle starts where its number words start.
        ("So we'll pay, ah, four thousand one hundred and twenty today", 4120.0,
         "four thousand one hundred and twenty", True),
        ("two thousand five hundred on Friday", 2500.0, "two thousand five hundred", True),
        # Said, then said again: the first saying.
        ("mi wi pay di, the hundred and twenty thousand - hundred twenty - on the thirtieth",
         120000.0, "hundred and twenty thousand", True),
        # "even", "flat": money whatever leads in; a thousand before when it is paid.
        ("Yeah. Three thousand even.", 3000.0, "Three thousand", False),
        ("No - the Friday before. A thousand on the thirtieth.", 1000.0, "A thousand", True),
        # A part of a sum is the sum paid.
        ("Will pay half the $2,480 today & the rest payday", 1240.0, "half the $2,480", False),
        ("We pay 50% of the $3,960 this Friday", 1980.0, "50% of the $3,960", False),
        ("I can pay 20% of it, $500, now", 500.0, "$500", False),
    ],
)
def test_sums_with_no_currency_and_parts_of_sums(text: str, amount: float, words: str,
                                                 spoken: bool) -> None:
    [money] = find_amounts(text)
    assert (money.amount, text[money.start : money.end], money.spoken) == (amount, words, spoken)


@pytest.mark.parametrize(
    "text",
    ["pay invoice 4471 friday", "we'll pay 2026 invoices next week", "send 500 units",
     "I will pay the 15th", "we will send 12/11", "pay at 10:30", "we will pay 40 on Friday",
     "send 300 pcs", "we transfer 1.5% interest", "do 400 lines on the order",
     "we'll pay for the whole 2026 season", "the full 12 000 units", "we laid a 2.5m cable",
     "the payment of 30 days"],
)
def test_figures_after_a_paying_verb_that_are_not_sums(text: str) -> None:
    assert find_amounts(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "we ordered twenty four hundred units",
        "the meeting is at fourteen hundred hours",
        "we ordered five hundred last week",  # a single hundreds with no when after it
        "what a grand total",
        "a grand opening on Friday",
        "room R2 is free",
        "part R5000 is on back order",
    ],
)
def test_said_numbers_that_stay_numbers(text: str) -> None:
    assert find_amounts(text) == []
