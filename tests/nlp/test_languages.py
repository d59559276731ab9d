"""Messages in the customer's own language: which language, its cue words, its sums and days."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
import spacy
from typer.testing import CliRunner

from commwatch.cli import app
from nlp import Tagger
from nlp.amounts import find_amounts
from nlp.cues import CueError, check_cues, with_languages
from nlp.dates import times_in
from nlp.extract import dispute_reason, extract_promise, sentences
from nlp.language import LanguageError, LanguageGuesser, fold, read_languages, spellings
from nlp.lexicon import LexiconError, read_lexicon_folder
from nlp.numberwords import with_digits
from tests.nlp.house import house_tagger

BLANK = spacy.blank("en")


@pytest.fixture(scope="module")
def guesser() -> LanguageGuesser:
    return LanguageGuesser(BLANK.vocab.strings)


def guess(guesser: LanguageGuesser, text: str) -> tuple[str, ...]:
    return guesser.guess([t.norm for t in BLANK.make_doc(text)])


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Buenos días, le confirmo que el pago de la factura se realizará el viernes.", "es"),
        ("hola, te transfiero el lunes, che", "es"),
        ("Vou fazer o pix amanhã, tá? a gente paga dia 10", "pt"),
        ("Wir werden die Rechnung nächste Woche überweisen.", "de"),
        ("wir werden die rechnung naechste woche ueberweisen", "de"),  # typed without umlauts
        ("Nous allons régler la facture le 30 novembre.", "fr"),
        ("Zapłacimy do piątku, przelew będzie jutro.", "pl"),
        ("zaplacimy do piatku, przelew bedzie jutro", "pl"),
        ("Vi confermiamo che la fattura sarà pagata con bonifico entro fine mese.", "it"),
        ("Wij betalen de factuur volgende week, met vriendelijke groet.", "nl"),
        ("Diese Leistung wurde nie erbracht.", "de"),
        ("Vos coordonnées bancaires ont-elles changé ?", "fr"),
    ],
)
def test_the_language_a_message_is_written_in(guesser: LanguageGuesser, text: str,
                                              language: str) -> None:
    assert guess(guesser, text)[0] == language


@pytest.mark.parametrize(
    "text",
    [
        "We will pay the invoice on Friday, thanks.",
        "sent $1k on zelle just now, rest friday",
        "Please find the invoice from De Vries attached.",  # one Dutch-looking word is not Dutch
        "Gracias!",  # too few words to tell
        "",
    ],
)
def test_english_and_too_few_words_are_english(guesser: LanguageGuesser, text: str) -> None:
    assert guess(guesser, text) == ()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("jutro blikiem zaplace 540 zl", "pl"),
        ("ok allora facciamo giovedì 👍 bonifico istantaneo", "it"),
        ("pix hoje, comprovante já já", "pt"),
        ("überweise morgen, lg", "de"),
    ],
)
def test_a_chat_line_with_no_function_word_is_read_by_its_paying_words(
        guesser: LanguageGuesser, text: str, language: str) -> None:
    assert guess(guesser, text)[:1] == (language,)


def test_paying_words_may_not_be_english(tmp_path: Path) -> None:
    def languages(name: str, paying: dict[str, list[str]]) -> Path:
        path = tmp_path / name  # one file a case: the file is read once a path
        raw = {"languages": {"en": ["the", "will"], "es": ["el"]}, "paying_words": paying}
        path.write_text(json.dumps(raw), encoding="utf-8")
        return path

    assert "hoy" in read_languages(languages("good.json", {"es": ["hoy"]}))[0]["es"]
    with pytest.raises(LanguageError, match=r"bad.json: paying_words.es: will also English"):
        read_languages(languages("bad.json", {"es": ["hoy", "will"]}))
    with pytest.raises(LanguageError, match=r"paying_words: xx not in languages"):
        read_languages(languages("unknown.json", {"xx": ["hoy"]}))


def test_spanish_mixed_into_english_reads_spanish_too(guesser: LanguageGuesser) -> None:
    assert "es" in guess(guesser, "Hey, te transfiero el lunes ok? thanks")


def test_accents_fold_as_people_drop_them() -> None:
    assert fold("transferência") == "transferencia"
    assert fold("zapłacę") == "zaplace"
    assert fold("Straße") == "Strasse"
    assert spellings("überweisen") == {"überweisen", "uberweisen", "ueberweisen"}
    assert spellings("invoice") == {"invoice"}


def test_a_bad_languages_file_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = tmp_path / "languages.json"
    path.write_text(json.dumps({"languages": {"en": ["the"], "es": "el la"}}), encoding="utf-8")
    with pytest.raises(LanguageError, match=r"languages.json: languages.es: expected a list"):
        read_languages(path)
    path.write_text(json.dumps({"languages": {"es": ["el"]}}), encoding="utf-8")
    with pytest.raises(LanguageError, match=r'at least "en"'):
        read_languages(path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(LanguageError, match=r"languages.json:1: not valid JSON"):
        read_languages(path)


# ----------------------------------------------------------------------- cues of a language


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger()


def reasons(tagger: Tagger, text: str, label: str) -> set[str]:
    """Why the lexicon matches for `label` are blocked ("negation", "hypothetical"…), "" for
    a match that stands: {""} when all stand, "" in it when one does, empty when none."""
    doc = tagger.nlp(tagger.nlp.make_doc(text))
    return {h.blocked_by for h in doc._.cw_hits if h.label == label}


def test_german_nicht_after_the_verb_negates_it(tagger: Tagger) -> None:
    assert reasons(tagger, "Wir beanstanden die Rechnung nicht.", "dispute") == {"negation"}
    # the comma ends the clause
    text = "Wir beanstanden die Rechnung, nicht die Lieferung."
    assert "" in reasons(tagger, text, "dispute")


def test_a_condition_in_the_language_makes_a_match_hypothetical(tagger: Tagger) -> None:
    # "si" in the clause before a dispute's words, as "if" is in English
    text = "Si la mercancía llegó dañada, avisamos al transportista."
    assert reasons(tagger, text, "dispute") == {"hypothetical"}
    assert "" in reasons(tagger, "La mercancía llegó dañada, avisamos al transportista.",
                         "dispute")
    # a condition after a promise that names no time: no promise yet
    text = "Pagaremos la factura si nos mandan la nota de crédito."
    assert reasons(tagger, text, "promise_to_pay") == {"hypothetical"}


def test_portuguese_no_is_not_a_negation(tagger: Tagger) -> None:
    # "no" is "in the" in Portuguese ("vou registrar no Reclame Aqui"), "not" in Spanish
    text = "Se não resolverem, vou registrar uma queixa no Procon amanhã mesmo."
    assert "" in reasons(tagger, text, "legal_escalation")
    text = "O pagamento vai sair no dia 10, pode ficar tranquila."
    assert reasons(tagger, text, "promise_to_pay") == {""}


def test_a_cue_word_of_another_language_is_nothing_in_english(tagger: Tagger) -> None:
    # "si" is a condition in Spanish; in an English message it is a name, and "no" is
    # "in the" in Portuguese only.
    text = "Si Ramos here: we will pay the invoice on Friday."
    assert "" in reasons(tagger, text, "promise_to_pay")


# ------------------------------------------------------------------------- sentences


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("Die Zahlung erfolgt am 3. Dezember. Danke!",
         ["Die Zahlung erfolgt am 3. Dezember.", "Danke!"]),
        ("bis 12.11. überweisen wir. Gruss", ["bis 12.11. überweisen wir.", "Gruss"]),
        ("Rechnung Nr. 2026-0413 ist falsch. Bitte korrigieren.",
         ["Rechnung Nr. 2026-0413 ist falsch.", "Bitte korrigieren."]),
        ("Sra. López pagará el 30. Saludos", ["Sra. López pagará el 30.", "Saludos"]),
        ("I will pay 500. Thanks", ["I will pay 500.", "Thanks"]),  # a sum is no day number
        ("Paid on the 15 . Then shipped.", ["Paid on the 15 .", "Then shipped."]),
    ],
)
def test_a_day_number_or_an_abbreviation_does_not_end_a_sentence(tagger: Tagger, text: str,
                                                                 sentences: list[str]) -> None:
    doc = tagger.nlp(tagger.nlp.make_doc(text))
    assert [s.text.strip() for s in doc.sents] == sentences


# ------------------------------------------------------------------- sums and days in words


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("le abono cinco mil el quince", "es", "le abono 5000 el 15"),
        ("son los dos millones trescientos mil", "es", "son los 2300000"),
        ("os oito mil e quatrocentos reais dia trinta", "pt", "os 8400 reais dia 30"),
        # Portuguese weekdays are ordinals, and "6 mil" is a sum already: both kept.
        ("metade na sexta e o resto, 3 mil, dia trinta", "pt",
         "metade na sexta e o resto, 3 mil, dia 30"),
        ("dreitausend Euro am dreißigsten", "de", "3000 Euro am 30."),
        ("deux mille cinq cents euros le trente", "fr", "2500 euros le 30"),
        ("milleduecento euro", "it", "1200 euro"),
        # Polish, read by nlp.numberwords itself: sums, a thousand left unsaid, day ordinals
        ("cztery tysiące osiemset euro", "pl", "4800 euro"),
        ("cztery dwieście w piątek", "pl", "4200 w piątek"),
        ("reszta do trzydziestego", "pl", "reszta do 30-go"),
        ("wpłacę dziesiątego lutego", "pl", "wpłacę 10 lutego"),
        ("do dwudziestego piątego", "pl", "do 25-go"),
        ("dwa razy", "pl", "dwa razy"),  # a lone small word is no sum
    ],
)
def test_number_words_as_digits(text: str, language: str, expected: str) -> None:
    assert with_digits(text, [], language)[0] == expected


def test_sentence_spans_move_with_the_digits() -> None:
    text = "Hola. Le abono cinco mil el quince.\nY el resto, el treinta. Gracias"
    spans = [(6, 35), (36, 59)]
    converted, moved = with_digits(text, spans, "es")
    assert [converted[a:b] for a, b in moved] == ["Le abono 5000 el 15.", "Y el resto, el 30."]


MON_2026_09_07 = datetime.fromisoformat("2026-09-07T10:00:00-06:00")


@pytest.mark.parametrize(
    ("text", "offset", "amount", "currency", "due"),
    [
        # In Spanish a "$" is a peso: whose, the clock says.
        ("el viernes le deposito los $4,200", "-06:00", 4200.0, "MXN", date(2026, 9, 11)),
        ("el viernes le consigno los $3.450.000", "-05:00", 3450000.0, "COP", date(2026, 9, 11)),
        ("el viernes te transfiero los $1.350.000, che", "-03:00", 1350000.0, "ARS",
         date(2026, 9, 11)),
        # ... unless it says dollars, or pesos "M.N."
        ("el friday sale el check, son $2,340.00 dlls", "-06:00", 2340.0, "USD",
         date(2026, 9, 11)),
        ("su factura por $33,180.50 M.N. se paga el 20 de septiembre", "-06:00", 33180.5, "MXN",
         date(2026, 9, 20)),
        # A sum with no currency takes the one where the language is spoken.
        ("el lunes le deposito los 6 mil que faltan", "-06:00", 6000.0, "MXN",
         date(2026, 9, 14)),
        ("jutro zrobię przelew na 2 tys., reszta później", "+02:00", 2000.0, "PLN",
         date(2026, 9, 8)),
        ("deposito 1.200 amanhã de manhã", "-03:00", 1200.0, "BRL", date(2026, 9, 8)),
        # Québec writes the "$" after the sum; Morocco writes dirhams "DH"
        ("le paiement de 2 150 $ va être fait par Interac demain", "-04:00", 2150.0, "CAD",
         date(2026, 9, 8)),
        ("le règlement de 48 600,00 DH sera effectué le 15 septembre", "+01:00", 48600.0, "MAD",
         date(2026, 9, 15)),
        # "now" in the customer's language is today
        ("le faccio un bonifico di 1000 euro adesso", "+02:00", 1000.0, "EUR", date(2026, 9, 7)),
    ],
)
def test_the_currency_of_a_sum_in_another_language(guesser: LanguageGuesser, text: str,
                                                    offset: str, amount: float, currency: str,
                                                    due: date) -> None:
    sent = MON_2026_09_07.replace(tzinfo=datetime.fromisoformat(f"2026-01-01T00:00{offset}").tzinfo)
    promise = extract_promise(text, sent, (), languages=guess(guesser, text))
    assert promise is not None
    assert (promise.amount, promise.currency, promise.date) == (amount, currency, due)


def test_an_english_message_keeps_the_dollar(guesser: LanguageGuesser) -> None:
    sent = datetime.fromisoformat("2026-09-07T10:00:00-06:00")
    text = "We will send the $4,200 on Friday."
    promise = extract_promise(text, sent, (), languages=guess(guesser, text))
    assert promise is not None and promise.currency == "USD"


def test_a_promise_in_spanish_words_is_read_with_its_values(tagger: Tagger) -> None:
    sent = datetime.fromisoformat("2026-05-29T17:10:00-03:00")
    [result] = tagger.tag(["dale, te lo pago mañana a primera hora, son ochocientos cincuenta "
                           "mil, ¿te lo transfiero a la misma cuenta?"], ["inbound"], [sent])
    assert "promise_to_pay" in result.labels
    assert result.promise == {"amount": 850000.0, "currency": "ARS", "date": "2026-05-30"}
    # the evidence still points into the text as written
    text = ("dale, te lo pago mañana a primera hora, son ochocientos cincuenta mil, ¿te lo "
            "transfiero a la misma cuenta?")
    assert all(text[e.start:e.end] == e.text for e in result.evidence)


THURSDAY = datetime.fromisoformat("2026-05-28T11:40:00+02:00")


@pytest.mark.parametrize(
    ("text", "when"),
    [
        # the day after a past paying verb was when it was paid, not when it will be
        ("przelew był w środę, może się jeszcze nie zaksięgował, a drugą fakturę zapłacimy "
         "w piątek", "2026-05-29"),
        ("Ho pagato la prima lunedì e la seconda la paghiamo il 5 giugno", "2026-06-05"),
        ("Die erste Rate überwies ich am Montag, die zweite überweisen wir am 5. Juni",
         "2026-06-05"),
        # the verb reaches only its own clause: no future word is needed after a comma or "y"
        ("Ho pagato 500 € ieri, il resto lo paghiamo venerdì", "2026-05-29"),
        ("Pagué 500 € el martes y el resto lo pago el viernes 5 de junio", "2026-06-05"),
        # "pagó" without its accent is "pago", a payment: no past verb
        ("el pago se hará el viernes", "2026-05-29"),
        # a weekday before a date in the language picks it, as in English
        ("vendredi 5 juin sans faute", "2026-06-05"),
        ("am Freitag, 5. Juni überweisen wir", "2026-06-05"),
    ],
)
def test_a_day_after_a_past_paying_verb_is_no_promise_date(text: str, when: str) -> None:
    found = extract_promise(text, THURSDAY, languages=("pl", "it", "de", "es"))
    assert found is not None and found.date == date.fromisoformat(when)


def test_tag_prints_the_language_it_read_the_message_in() -> None:
    result = CliRunner().invoke(app, [
        "tag", "Le confirmo que el pago de la factura FAC-2291 por $18,450.00 quedó programado "
        "para este viernes vía SPEI.", "--sent-at", "2026-11-10T10:00-06:00"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "read as English + es" in out
    assert '"amount": 18450.0, "currency": "MXN", "date": "2026-11-13"' in out


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("Nous avons bien reçu votre relance concernant la facture F26-139. Or la marchandise ne "
         "nous a jamais été livrée.", "dispute"),
        ("Abbiamo ricevuto la fattura n. 579/2026 relativa a valvole che non risultano ordinate "
         "da noi.", "dispute"),
        ("Die Ware ist bei uns eingegangen, aber beschädigt.", "dispute"),
    ],
)
def test_a_customer_saying_what_arrived_is_no_automatic_reply(tagger: Tagger, text: str,
                                                              tag: str) -> None:
    # auto_reply wins alone: "we have received" needs "your message" to be one
    labels = tagger.tag_one(text).labels
    assert "auto_reply" not in labels
    assert tag in labels


def test_an_acknowledgement_in_the_language_is_an_automatic_reply(tagger: Tagger) -> None:
    assert tagger.tag_one("Nous avons bien reçu votre message et vous répondrons dans les "
                          "meilleurs délais.").labels == ["auto_reply"]


def test_a_language_file_is_read_in_its_own_language_only(tmp_path: Path) -> None:
    tagger = house_tagger(tmp_path, {"label": "dispute", "pattern": "no cuadra el saldo",
                                     "id": "dispute.es.house"}, file="es.jsonl")
    spanish = tagger.tag_one("Buenos días, no cuadra el saldo de la factura 4471 con el pedido.")
    assert "dispute" in spanish.labels
    assert [e.rule for e in spanish.evidence if e.label == "dispute"][0] == (
        "lexicon:dispute.es.house")
    # the same words inside an English message are not read as Spanish
    english = tagger.tag_one("Our note says 'no cuadra el saldo' was the subject line, thanks.")
    assert not any(e.rule == "lexicon:dispute.es.house" for e in english.evidence)


@pytest.mark.parametrize(
    "text",
    [
        "Le enviamos la factura: 3.500 euros más IVA, gracias.",
        "Segue a fatura de 3 500 euros mais IVA, obrigado.",
        "Vi inviamo la fattura di 3.500 euro più IVA, grazie.",
    ],
)
def test_an_english_only_entry_is_not_read_in_other_languages(tagger: Tagger, text: str) -> None:
    # "IVA", the UK's insolvency arrangement, is VAT in Spanish, Portuguese and Italian
    assert "hardship" not in tagger.tag_one(text).labels


@pytest.mark.parametrize(
    "text",
    [
        "Podemos pagar por cartão de crédito ou só por transferência?",  # "por": by, not after
        "¿Podemos pagar por transferencia o solo con cheque?",
    ],
)
def test_por_says_no_time_in_spanish_or_portuguese(tagger: Tagger, text: str) -> None:
    assert "promise_to_pay" not in tagger.tag_one(text).labels


def test_an_english_only_entry_is_read_in_english(tagger: Tagger, tmp_path: Path) -> None:
    assert "hardship" in tagger.tag_one("We have entered an IVA and cannot pay.").labels
    house = house_tagger(tmp_path, {
        "label": "dispute", "pattern": [{"LOWER": "tarifa"}, {"LOWER": "mal"}],
        "id": "dispute.house", "language": "en"})
    english = house.tag_one("Our note: tarifa mal on the last invoice.")
    assert any(e.rule == "lexicon:dispute.house" for e in english.evidence)
    spanish = house.tag_one("La tarifa mal aplicada en la factura, por favor revisen.")
    assert not any(e.rule == "lexicon:dispute.house" for e in spanish.evidence)


def test_an_unknown_language_in_a_lexicon_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "house.jsonl").write_text(json.dumps(
        {"label": "dispute", "pattern": "x", "language": "tlh"}) + "\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"house.jsonl:1: language 'tlh' is not one of"):
        read_lexicon_folder(tmp_path)


# ---------------------------------------------------------------- more of a language's rules


def test_an_accentless_form_of_a_cue_is_not_a_word_the_language_dropped() -> None:
    raw = json.loads((Path(__file__).parents[2] / "nlp/data/cues.json").read_text("utf-8"))
    italian = with_languages(raw, ("it",))["negation"]
    assert "né" in italian and "ne" not in italian  # "ne" is the pronoun "of it"
    assert "ne" in with_languages(raw, ("it", "fr"))["negation"]  # French "ne … pas"


@pytest.mark.parametrize("text", ["Wir bestreiten ned, dass die Rechnung offen ist.",
                                  "Wir bestreiten nimmer, dass die Rechnung offen ist."])
def test_dialect_negations_in_german(tagger: Tagger, text: str) -> None:
    assert "dispute" not in tagger.tag_one(text).labels


@pytest.mark.parametrize(
    "text",
    [
        "I was out of the office all week, the transfer goes out tomorrow.",
        "przepraszam, byłem poza biurem. Przelew wyślę dziś.",
        "Sono stato fuori ufficio tutta la settimana, il bonifico parte domani.",
        "Estuve de vacaciones hasta ayer, mañana les transfiero.",
        "Ich war telefonisch nicht erreichbar, die Zahlung geht morgen raus.",
    ],
)
def test_a_person_saying_where_they_were_is_no_automatic_reply(tagger: Tagger,
                                                               text: str) -> None:
    # An automatic reply wins alone: read as one, the promise would be lost.
    [result] = tagger.tag([text], ["inbound"], [datetime.fromisoformat(
        "2026-11-24T10:00:00+01:00")])
    assert "auto_reply" not in result.labels
    assert "promise_to_pay" in result.labels


@pytest.mark.parametrize(
    "text",
    [
        "I am out of the office until Monday 30 November with limited access to email.",
        "Estoy fuera de la oficina hasta el lunes, con acceso limitado al correo.",
        "Sono fuori ufficio fino a lunedì con accesso limitato alla posta.",
    ],
)
def test_an_absence_said_now_is_still_an_automatic_reply(tagger: Tagger, text: str) -> None:
    assert tagger.tag_one(text).labels == ["auto_reply"]


def test_nicht_after_the_verb_negates_no_hardship(tagger: Tagger) -> None:
    assert "" in reasons(tagger, "Aufgrund finanzieller Engpässe können wir derzeit nicht zahlen.",
                 "hardship")


def test_a_german_word_without_its_umlaut_is_not_a_cue(tagger: Tagger) -> None:
    # "wäre" is a counterfactual; "Ware" (goods) is not, though it is "wäre" without the dots
    assert reasons(tagger, "Die Ware ist beschädigt angekommen.", "dispute") == {""}


def test_french_dont_is_no_negation(tagger: Tagger) -> None:
    # spaCy's English tokenizer splits "dont" ("whose") into "do nt", and "nt" is "not"
    text = "Nous avons une facture dont le prix est erroné, merci de corriger."
    assert "" in reasons(tagger, text, "dispute")


@pytest.mark.parametrize(
    ("text", "kind", "when"),
    [
        ("zapłacę do piątku", "weekday", date(2026, 9, 11)),
        ("zaplace do piatku", "weekday", date(2026, 9, 11)),  # typed without diacritics
        ("przelew 15 listopada", "date", date(2026, 11, 15)),
        ("do końca miesiąca", "month_end", date(2026, 9, 30)),
        ("w przyszłym tygodniu", "vague", None),
        ("la semana que viene", "vague", None),
        ("nächste Woche", "vague", None),
        ("va nel payment run del 15", "day", date(2026, 9, 15)),
        ("remesa de pagos del día 25", "day", date(2026, 9, 25)),
        ("– 5 000,00 zł do 15.10,", "date", date(2026, 10, 15)),
        ("paiement au 15.10", "date", date(2026, 10, 15)),
        ("faço hj", "today", date(2026, 9, 7)),
        # a time later today, and southern Italian "dimane"
        ("le versement par Orange Money ce soir", "today", date(2026, 9, 7)),
        ("en la noche le voy a yapear", "today", date(2026, 9, 7)),
        ("stasera vi faccio il bonifico", "today", date(2026, 9, 7)),
        ("guarda dimane ti faccio il bonifico", "tomorrow", date(2026, 9, 8)),
        # a day of next month, said as each language says it
        ("nella distinta bonifici del 15 p.v.", "day", date(2026, 10, 15)),
        ("Wir zahlen am 3. nächsten Monats.", "day", date(2026, 10, 3)),
        ("pagamos el 10 del mes que viene", "day", date(2026, 10, 10)),
        ("pagamos dia 12 do mês que vem", "day", date(2026, 10, 12)),
        ("on paiera le 5 du mois prochain", "day", date(2026, 10, 5)),
        ("zapłacimy do 20 przyszłego miesiąca", "day", date(2026, 10, 20)),
        # a weekday makes a dotted day and month a date, as a preposition does
        ("zostanie opłacona w czwartek 10.09.", "date", date(2026, 9, 10)),
        ("wir zahlen Freitag, 11.09.", "date", date(2026, 9, 11)),
        ("pagamos el jueves 10.09 sin falta", "date", date(2026, 9, 10)),
    ],
)
def test_days_said_in_the_language(text: str, kind: str, when: date | None) -> None:
    [mention] = times_in(text, date(2026, 9, 7))
    assert (mention.kind, mention.when) == (kind, when)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("La mercancía llegó dañada.", "damaged"),
        ("Nos cobraron dos veces la misma factura.", "duplicate"),
        ("Não pedimos esses paletes.", "not_ordered"),
        ("Wir haben die Ware nie erhalten.", "not_received"),
        ("Il manque toujours l'avoir sur ce relevé.", "credit_note"),
        ("Il prezzo non è quello dell'offerta.", "price"),
        ("Brakuje 5 kartonów, ilość się nie zgadza.", "quantity"),
        ("Usługa nie została wykonana.", "service"),
    ],
)
def test_a_dispute_reason_in_the_language(text: str, reason: str) -> None:
    assert dispute_reason(text) == reason


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("le deposito los 2,800 en el oxxo", 2800.0),  # a figure after a paying verb
        ("son los 2300000, ¿cierto?", 2300000.0),
        ("eu mando o TED dos 2700 segunda", 2700.0),
        ("deposito 1.200 amanha", 1200.0),
        # the sum named after the promise, set off by a comma, as calls say it
        ("se lo pagamos a fin de mes, los 1874 con 20, ¿vale?", 1874.2),
        ("essa eu pago dia 29, os 2760.", 2760.0),
        ("pagaremos el viernes, son los 2.300", 2300.0),
    ],
)
def test_a_bare_figure_after_a_paying_verb_in_spanish_or_portuguese(text: str,
                                                                    amount: float) -> None:
    assert [m.amount for m in find_amounts(text)] == [amount]


@pytest.mark.parametrize("text", ["son 500 cajas", "deposito 300 caixas", "son las 5",
                                  "mandamos ayer, las 500 cajas", "llegaron, los 25"])
def test_a_counted_figure_is_no_sum(text: str) -> None:
    assert find_amounts(text) == []


def test_extraction_sentences_keep_day_numbers_and_abbreviations() -> None:
    text = ("Die Zahlung über 1.250 € erfolgt am 3. Dezember. Danke. "
            "Sra. López pagará $33,180.50 M.N. el 20. Gracias.")
    assert [text[a:b] for a, b in sentences(text)] == [
        "Die Zahlung über 1.250 € erfolgt am 3. Dezember.", "Danke.",
        "Sra. López pagará $33,180.50 M.N. el 20.", "Gracias."]


def test_an_english_file_phrase_without_its_accent_is_read_in_other_languages_only(
    tmp_path: Path,
) -> None:
    # a house file with no language: "raté" without its accent is the English "rate"
    tagger = house_tagger(tmp_path, {"label": "dispute", "pattern": "livraison raté",
                                     "id": "dispute.house"}, file="mine.jsonl")
    rule = "lexicon:dispute.house"
    french = tagger.tag_one("Bonjour, la livraison rate encore une fois, merci de voir avec le "
                            "transporteur.")
    assert rule in [e.rule for e in french.evidence]
    english = tagger.tag_one("Our livraison rate is fine for the order, thanks.")
    assert rule not in [e.rule for e in english.evidence]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"negation": "not"}, r"cues.json: negation: expected a list"),
        ({"languages": {"es": {"negation_after": "3"}}},
         r"cues.json: languages.es.negation_after: expected a whole number"),
        ({"languages": {"es": {"not_cues": {"bogus": ["no"]}}}},
         r"cues.json: languages.es.not_cues: expected cue lists"),
        ({"languages": {"es": {"negations": ["no"]}}},
         r"cues.json: languages.es.negations: not a cue key"),
    ],
)
def test_a_bad_cue_file_names_the_key(raw: dict[str, object], message: str) -> None:
    with pytest.raises(CueError, match=message):
        check_cues(raw, "cues.json")
