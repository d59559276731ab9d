"""AR/ERP exports on both stores: mapped columns, formats, idempotent upserts, clear errors."""

from __future__ import annotations

import threading
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commwatch.config import ConfigError, parse_config
from commwatch.service import Service
from commwatch.store import Contact, Customer, Invoice, Payment, session_scope
from ingest import CustomerFileError, load_ar
from ingest.ar_cells import parse_amount, parse_date
from ingest.config import CustomerMasterConfig
from tests.conftest import ROOT

ORG = '[organisation]\nname = "Halden"\nown_domains = ["halden-supply.example"]\n'

CUSTOMERS = (
    "id,name,domains,contacts,credit_limit,currency,terms_days\n"
    "C1,Brightline,brightline.example,dana@brightline.example,150000,USD,30\n"
    "C2,Kessler,kessler.example,,120000,EUR,60\n"
)
INVOICES = (
    "number,customer_id,amount,open_amount,currency,issued_on,due_on,status,disputed\n"
    "inv-1,C1,\"13,390.00\",\"12,480.00\",USD,2026-09-04,2026-10-04,open,false\n"
    "INV-2,C2,9840.00,0,EUR,2026-09-10,2026-11-09,paid,no\n"
)
PAYMENTS = (
    "reference,customer_id,amount,currency,received_on,invoice_number\n"
    "P-1,C2,8004.00,EUR,2026-11-09,INV-2\n"
    "P-2,C1,$500.00,,2026-10-30,\n"
)


def write(folder: Path, **files: str) -> None:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


def master(folder: Path, extra: str = "", **files: str) -> CustomerMasterConfig:
    """The `[customers]` table of a config in `folder`, parsed as the program parses it."""
    write(folder, **files)
    table = '[customers]\npath = "customers.csv"\n'
    if (folder / "invoices.csv").exists():
        table += 'invoices = "invoices.csv"\n'
    if (folder / "payments.csv").exists():
        table += 'payments = "payments.csv"\n'
    config = parse_config(tomllib.loads(ORG + table + extra), folder / "config.toml")
    assert config.customers is not None
    return config.customers


def load(engine: Engine, config: CustomerMasterConfig) -> dict[str, int]:
    with session_scope(engine) as session:
        return load_ar(session, config)


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def by_key(engine: Engine) -> tuple[dict[str, Customer], dict[str, Invoice], dict[str, Payment]]:
    with Session(engine) as session:
        return (
            {c.external_id: c for c in session.scalars(select(Customer))},
            {i.number: i for i in session.scalars(select(Invoice))},
            {p.reference: p for p in session.scalars(select(Payment))},
        )


def standard(tmp_path: Path) -> CustomerMasterConfig:
    write(tmp_path, **{"customers.csv": CUSTOMERS, "invoices.csv": INVOICES,
                       "payments.csv": PAYMENTS})
    return master(tmp_path)


# --- Cells -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "decimal_comma", "expected"),
    [
        ("27,800.00", False, "27800"),
        ("1.234,56", True, "1234.56"),
        ("1 234,56", True, "1234.56"),
        ("(120.00)", False, "-120"),
        ("-120", False, "-120"),
        ("120.00-", False, "-120"),
        ("$1,200", False, "1200"),
        ("-€5.50", False, "-5.5"),
        ("£3,150.00", False, "3150"),
        ("USD 1,200.00", False, "1200"),
        ("4.500,00 EUR", True, "4500"),
        ("(1.234,56 €)", True, "-1234.56"),
        ("1'234.50", False, "1234.5"),
        ("0", False, "0"),
    ],
)
def test_amounts_as_exports_write_them(text: str, decimal_comma: bool, expected: str) -> None:
    assert parse_amount(text, decimal_comma) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "decimal_comma", "message"),
    [
        ("lots", False, "'lots' is not a number"),
        ("27,80", False, "is decimal_comma = false right?"),  # would be 2780 if commas vanished
        ("1.234,56", False, "is decimal_comma = false right?"),
        ("27.50", True, "is decimal_comma = true right?"),
        ("(-5)", False, "not a number"),
        ("1,2,3", False, "not a number"),
        ("99999999999999999", False, "too large"),
    ],
)
def test_bad_amounts_are_refused(text: str, decimal_comma: bool, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("?", r"\?")):
        parse_amount(text, decimal_comma)


def test_dates_in_the_configured_format_and_always_iso() -> None:
    assert parse_date("04/10/2026", "%d/%m/%Y") == date(2026, 10, 4)
    assert parse_date("10/04/2026", "%m/%d/%Y") == date(2026, 10, 4)
    assert parse_date("2026-10-04", "%d/%m/%Y") == date(2026, 10, 4)
    assert parse_date("2026-10-04 00:00:00") == date(2026, 10, 4)
    assert parse_date("04.10.2026", "%d.%m.%Y") == date(2026, 10, 4)
    with pytest.raises(ValueError, match=r"'04/10/2026' is not a date \(expected YYYY-MM-DD\)"):
        parse_date("04/10/2026")
    with pytest.raises(ValueError, match=r"expected %d/%m/%Y or YYYY-MM-DD"):
        parse_date("31/02/2026", "%d/%m/%Y")


# --- Config ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("[customers.columns.payments]\nbogus = 'X'\n",
         "customers.columns.payments.bogus: unknown key"),
        ("[customers.columns.invoices]\nnumber = ''\n",
         "customers.columns.invoices.number: String should have at least 1 character"),
        ("[customers.columns.ledger]\nnumber = 'No'\n", "customers.columns.ledger: unknown key"),
        ("date_format = '%Y-%m'\n", "customers.date_format: expected a strptime format"),
        ("encoding = 'klingon'\n", "customers.encoding: unknown encoding 'klingon'"),
        ("decimal_comma = 1.5\n", "customers.decimal_comma"),
    ],
)
def test_bad_ar_config_names_the_key(tmp_path: Path, extra: str, expected: str) -> None:
    text = ORG + '[customers]\npath = "customers.csv"\n' + extra
    with pytest.raises(ConfigError) as caught:
        parse_config(tomllib.loads(text), tmp_path / "config.toml")
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def test_shipped_config_loads_the_demo_ar_files(engine: Engine) -> None:
    raw = tomllib.loads((ROOT / "config.toml").read_text())
    config = parse_config(raw, ROOT / "config.toml").customers
    assert config is not None and config.payments == ROOT / "demo" / "payments.csv"
    counts = load(engine, config)
    assert counts == {
        "customers_created": 9, "customers_updated": 0, "customers_unchanged": 0,
        "invoices_created": 35, "invoices_updated": 0, "invoices_unchanged": 0,
        "payments_created": 18, "payments_updated": 0, "payments_unchanged": 0,
    }
    customers, invoices, payments = by_key(engine)
    inv = invoices["INV-10023"]
    assert (inv.amount, inv.open_amount, inv.due_on) == (
        Decimal("13390"), Decimal("12480"), date(2026, 10, 4))
    assert invoices["INV-10039"].disputed and invoices["INV-10044"].status == "cancelled"
    remittance = payments["0004418827/1"]
    assert remittance.customer_id == customers["C008"].id
    assert remittance.invoice_number == "INV-10042" and remittance.amount == Decimal("19412")
    assert all(date(2026, 5, 1) <= p.received_on <= date(2026, 11, 30) for p in payments.values())


# --- Loading ---------------------------------------------------------------------------------


def test_renamed_columns_dates_and_decimal_comma(engine: Engine, tmp_path: Path) -> None:
    """A European ERP export: semicolons, its own headers, d.m.Y dates, 1.234,56 amounts."""
    config = master(
        tmp_path,
        extra=(
            'delimiter = ";"\ndate_format = "%d.%m.%Y"\ndecimal_comma = true\n'
            "[customers.columns.customers]\n"
            'id = "Debitor"\nname = "Name 1"\ndomains = "Domains"\ncredit_limit = "Kreditlimit"\n'
            "[customers.columns.invoices]\n"
            'number = "Invoice No"\ncustomer_id = "Account"\namount = "Gross"\n'
            'open_amount = "Balance"\ncurrency = "Curr"\nissued_on = "Doc Date"\n'
            'due_on = "Due Date"\nstatus = "State"\ndisputed = "In Dispute"\n'
            "[customers.columns.payments]\n"
            'reference = "Beleg"\ncustomer_id = "Account"\namount = "Betrag"\n'
            'received_on = "Valuta"\ninvoice_number = "Invoice No"\n'
        ),
        **{
            "customers.csv": "Debitor;Name 1;Domains;Kreditlimit;currency\n"
                             "D-100;Kessler Maschinenbau;kessler.example;120.000,00;eur\n",
            "invoices.csv": "Account;Invoice No;Doc Date;Due Date;Gross;Balance;Curr;State;"
                            "In Dispute;Ignored\n"
                            "D-100;RE-2026/0042;10.09.2026;2026-11-09;9.840,00;8.004,00;EUR;Open;"
                            "X;x\n",
            "payments.csv": "Beleg;Account;Betrag;Valuta;Invoice No\n"
                            "ZE-1;D-100;€ 8.004,00;09.11.2026;re-2026/0042\n"
                            "ZE-2;D-100;(1.234,56);12.11.2026;\n",
        },
    )
    counts = load(engine, config)
    assert (counts["customers_created"], counts["invoices_created"],
            counts["payments_created"]) == (1, 1, 2)
    customers, invoices, payments = by_key(engine)
    kessler = customers["D-100"]
    assert (kessler.name, kessler.credit_limit, kessler.currency) == (
        "Kessler Maschinenbau", Decimal("120000"), "EUR")
    invoice = invoices["RE-2026/0042"]
    assert invoice.customer_id == kessler.id
    assert (invoice.amount, invoice.open_amount) == (Decimal("9840"), Decimal("8004"))
    assert (invoice.issued_on, invoice.due_on) == (date(2026, 9, 10), date(2026, 11, 9))
    assert (invoice.status, invoice.disputed, invoice.currency) == ("open", True, "EUR")
    assert payments["ZE-1"].amount == Decimal("8004")
    assert payments["ZE-1"].invoice_number == "RE-2026/0042"
    assert payments["ZE-1"].received_on == date(2026, 11, 9)
    assert payments["ZE-1"].currency == "EUR"  # no column: the customer's currency
    assert payments["ZE-2"].amount == Decimal("-1234.56")  # a reversal
    assert payments["ZE-2"].invoice_number is None


def test_reload_is_idempotent_and_updates_what_changed(engine: Engine, tmp_path: Path) -> None:
    config = standard(tmp_path)
    first = load(engine, config)
    assert (first["customers_created"], first["invoices_created"],
            first["payments_created"]) == (2, 2, 2)
    second = load(engine, config)
    assert second == {
        "customers_created": 0, "customers_updated": 0, "customers_unchanged": 2,
        "invoices_created": 0, "invoices_updated": 0, "invoices_unchanged": 2,
        "payments_created": 0, "payments_updated": 0, "payments_unchanged": 2,
    }
    _, invoices, payments = by_key(engine)
    assert invoices["INV-1"].open_amount == Decimal("12480")  # numbers are upper-cased
    assert payments["P-2"].currency == "USD"  # empty cell: the customer's currency

    write(tmp_path, **{
        "customers.csv": CUSTOMERS.replace("dana@brightline.example",
                                           "dana@brightline.example;ap@brightline.example"),
        "invoices.csv": INVOICES.replace('"12,480.00"', "0.00").replace("open,false", "paid,false"),
        "payments.csv": PAYMENTS.replace("P-2,C1,$500.00,,2026-10-30,",
                                         "P-2,C1,$500.00,,2026-10-31,INV-1"),
    })
    third = load(engine, config)
    assert (third["customers_updated"], third["customers_unchanged"]) == (1, 1)
    assert (third["invoices_updated"], third["invoices_unchanged"]) == (1, 1)
    assert (third["payments_updated"], third["payments_unchanged"]) == (1, 1)
    assert third["customers_created"] == third["invoices_created"] == 0
    assert third["payments_created"] == 0
    customers, invoices, payments = by_key(engine)
    assert (invoices["INV-1"].open_amount, invoices["INV-1"].status) == (Decimal("0"), "paid")
    assert (payments["P-2"].received_on, payments["P-2"].invoice_number) == (
        date(2026, 10, 31), "INV-1")
    with Session(engine) as session:
        emails = set(session.scalars(select(Contact.email).where(
            Contact.customer_id == customers["C1"].id)))
    assert emails == {"dana@brightline.example", "ap@brightline.example"}
    assert (count(engine, Customer), count(engine, Invoice), count(engine, Payment)) == (2, 2, 2)


def test_absent_column_keeps_the_field_and_an_empty_cell_clears_it(
    engine: Engine, tmp_path: Path
) -> None:
    config = standard(tmp_path)
    load(engine, config)
    write(tmp_path, **{
        "invoices.csv": "number,customer_id,due_on\nINV-1,C1,\nINV-2,C2,2026-12-01\n",
    })
    counts = load(engine, config)
    assert counts["invoices_updated"] == 2
    _, invoices, _ = by_key(engine)
    assert invoices["INV-1"].due_on is None and invoices["INV-2"].due_on == date(2026, 12, 1)
    assert invoices["INV-1"].amount == Decimal("13390")  # no amount column: kept


def test_unknown_customer_in_payments_names_file_and_row(engine: Engine, tmp_path: Path) -> None:
    config = standard(tmp_path)
    write(tmp_path, **{"payments.csv": PAYMENTS + "P-3,C999,10.00,USD,2026-11-01,\n"})
    with pytest.raises(CustomerFileError) as caught:
        load(engine, config)
    path = tmp_path / "payments.csv"
    assert caught.value.problems == [
        f"{path}:4 customer_id: 'C999' is not in the customer master"
    ]
    # Nothing of the load was kept: the files are loaded all together or not at all.
    assert (count(engine, Customer), count(engine, Invoice), count(engine, Payment)) == (0, 0, 0)


def test_every_bad_row_is_reported_with_its_column(engine: Engine, tmp_path: Path) -> None:
    config = standard(tmp_path)
    write(tmp_path, **{"invoices.csv": INVOICES + (
        "INV-3,C404,1.00,1.00,USD,2026-10-01,2026-10-31,open,false\n"
        "INV-4,C1,lots,1.00,USD,2026-10-01,2026-10-31,open,false\n"
        "INV-5,C1,1.00,1.00,USD,31/10/2026,2026-10-31,open,false\n"
        "INV-6,C1,1.00,1.00,US Dollar,2026-10-01,2026-10-31,open,maybe\n"
        "inv-2,C1,1.00,1.00,USD,2026-10-01,2026-10-31,open,false\n"
        ",C1,1.00,1.00,USD,2026-10-01,2026-10-31,open,false\n"
    )})
    with pytest.raises(CustomerFileError) as caught:
        load(engine, config)
    path = tmp_path / "invoices.csv"
    assert caught.value.problems == [
        f"{path}:4 customer_id: 'C404' is not in the customer master",
        f"{path}:5 amount: 'lots' is not a number",
        f"{path}:6 issued_on: '31/10/2026' is not a date (expected YYYY-MM-DD)",
        f"{path}:7 currency: 'US Dollar' is not a currency code (expected e.g. EUR)",
        f"{path}:8 number: 'INV-2' is also on line 3",
        f"{path}:9 number: empty; a value is required",
    ]
    assert str(caught.value).startswith(f"{path}:4 customer_id:")
    assert count(engine, Invoice) == 0


def test_missing_columns_name_file_and_column(engine: Engine, tmp_path: Path) -> None:
    config = master(
        tmp_path,
        extra='[customers.columns.payments]\nreference = "Ref"\ninvoice_number = "Invoice"\n',
        **{"customers.csv": CUSTOMERS, "invoices.csv": "number,amount\nINV-1,5\n",
           "payments.csv": "Reference,customer_id,amount\nP-1,C1,5\n"},
    )
    with pytest.raises(CustomerFileError, match=r"invoices.csv: missing column\(s\) customer_id$"):
        load(engine, config)
    write(tmp_path, **{"invoices.csv": INVOICES})
    with pytest.raises(CustomerFileError) as caught:
        load(engine, config)
    assert caught.value.problems == [
        f"{tmp_path / 'payments.csv'}: missing column(s) \"Ref\" (reference), received_on, "
        "\"Invoice\" (invoice_number)"
    ]


def test_unreadable_files_are_named(engine: Engine, tmp_path: Path) -> None:
    config = standard(tmp_path)
    (tmp_path / "payments.csv").write_bytes(b"reference,customer_id,amount,received_on\n\xff\n")
    with pytest.raises(CustomerFileError, match=r"payments.csv:2: not utf-8-sig text"):
        load(engine, config)
    (tmp_path / "payments.csv").unlink()
    with pytest.raises(CustomerFileError, match=r"payments.csv: cannot read: No such file"):
        load(engine, config)
    write(tmp_path, **{"payments.csv": "reference,customer_id,amount,received_on\n"
                                       "P-1,C1,5,2026-11-01,surplus\n"})
    with pytest.raises(CustomerFileError, match=r"payments.csv:2: 5 values but 4 columns"):
        load(engine, config)


def test_headers_match_whatever_their_case_and_spacing(engine: Engine, tmp_path: Path) -> None:
    config = master(tmp_path, **{
        "customers.csv": "\ufeffID , Name,DOMAINS\nC1,Brightline,brightline.example\n\n",
    })
    assert load(engine, config)["customers_created"] == 1


def test_concurrent_loads_neither_fail_nor_duplicate(engine: Engine, tmp_path: Path) -> None:
    """Two processes running the customers job at once (service and `commwatch ingest`)."""
    rows = 300
    write(tmp_path, **{
        "customers.csv": "id,name,domains\n" + "".join(
            f"C{i},Customer {i},c{i}.example\n" for i in range(rows)),
        "invoices.csv": "number,customer_id,amount\n" + "".join(
            f"INV-{i},C{i},{i}.50\n" for i in range(rows)),
        "payments.csv": "reference,customer_id,amount,received_on\n" + "".join(
            f"P-{i},C{i},{i},2026-11-0{1 + i % 9}\n" for i in range(rows)),
    })
    config = master(tmp_path)
    start = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        start.wait()
        try:
            results.append(load(engine, config))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sorted(r["payments_created"] for r in results) == [0, rows]
    assert sorted(r["payments_unchanged"] for r in results) == [0, rows]
    assert (count(engine, Customer), count(engine, Invoice), count(engine, Payment)) == (
        rows, rows, rows)


def test_service_customers_job_loads_the_ar_files(engine: Engine, tmp_path: Path) -> None:
    write(tmp_path, **{"customers.csv": CUSTOMERS, "invoices.csv": INVOICES,
                       "payments.csv": PAYMENTS})
    text = (ORG + '[customers]\npath = "customers.csv"\ninvoices = "invoices.csv"\n'
            'payments = "payments.csv"\n')
    service = Service(parse_config(tomllib.loads(text), tmp_path / "config.toml"), engine=engine)
    job = next(j for j in service.jobs() if j.name == "customers")
    run = service.run_job(job)
    assert run.outcome == "ok" and run.counts["payments_created"] == 2, run.error
    write(tmp_path, **{"payments.csv": PAYMENTS + "P-3,C9,1,USD,2026-11-01,\n"})
    run = service.run_job(job)
    assert run.outcome == "error"
    assert f"{tmp_path / 'payments.csv'}:4 customer_id: 'C9' is not in the customer master" in (
        run.error)
