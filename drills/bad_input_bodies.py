"""Drill 5's values chosen to break things, and the bodies of products, invoices and lines built from them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

# Values chosen to break things -----------------------------------------------------------------

EXISTING_SKU = "DUP-SKU-1"
EXISTING_NUMBER = "INV-DUP-1"
HUGE = 10**40


def texts(*, existing: str | None = None) -> st.SearchStrategy[Any]:
    """Strings as a merchant's system might send them: empty, blank, unicode, huge, control chars."""
    options: list[st.SearchStrategy[Any]] = [
        st.text(max_size=30),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=80),
        st.sampled_from(["", " ", "\t\n", "\x00", "é", "💥", "A" * 51, "Z" * 201, "x" * 5000, "<script>x</script>"]),
        st.text(min_size=60, max_size=300),
    ]
    if existing is not None:
        options.append(st.sampled_from([existing, f" {existing} ", existing.lower()]))
    return st.one_of(*options)


def numbers() -> st.SearchStrategy[Any]:
    """Amounts: negative, zero, over-precise, huge, NaN/Infinity, floats, junk strings and non-strings."""
    return st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-1000, max_value=1000).map(str),
        st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**15), max_value=10**15).map(str),
        st.sampled_from(
            [
                "0",
                "-0",
                "-1",
                "0.00001",
                "1.123456789",
                "1e5",
                "1E-30",
                "9" * 20,
                "99999999.9999",
                "9999999999.9999",
                "NaN",
                "Infinity",
                "-Infinity",
                "",
                " ",
                "1,5",
                "١٢",
                "12abc",
                str(HUGE),
                "0x10",
            ]
        ),
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(min_value=-(10**20), max_value=10**20),
        st.none(),
        st.booleans(),
        st.lists(st.integers(), max_size=2),
    )


def currencies() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(["GBP", "EUR", "USD", "gbp", "GB", "GBPX", "ĞBP", "G1P", "", " GBP", "GBP\n", "XXX", "123"]),
        st.text(max_size=5),
        st.integers(),
        st.none(),
    )


def dates() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.dates().map(dt.date.isoformat),
        st.sampled_from(
            [
                "2026-02-30",
                "2026-13-01",
                "0000-01-01",
                "9999-12-31",
                "0001-01-01",
                "",
                "today",
                "1/2/2026",
                "2026-01-01T10:00:00Z",
                "20260101",
            ]
        ),
        st.integers(),
        st.none(),
    )


def ids() -> st.SearchStrategy[Any]:
    return st.one_of(st.integers(min_value=-(2**70), max_value=2**70), st.none(), st.text(max_size=5), st.booleans())


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value, or a marker that leaves the field out of the body."""
    return st.one_of(strategy, st.just(MISSING))


MISSING = object()


def body(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({name: maybe(value) for name, value in fields.items()}).map(
        lambda data: {name: value for name, value in data.items() if value is not MISSING}
    )


def extreme_lines() -> st.SearchStrategy[dict[str, Any]]:
    """Lines at the edges of each field's own limits, whose products and sums may not fit the columns."""
    return st.fixed_dictionaries(
        {
            "description": st.just("Edge"),
            "quantity": st.sampled_from(["99999999.9999", "9999", "100", "0.0001"]),
            "unit_price": st.sampled_from(["9999999999.9999", "-9999999999.9999", "6000000000", "0.0001"]),
            "tax_rate": st.sampled_from(["0", "100", "99.99"]),
        }
    )


def line_bodies() -> st.SearchStrategy[Any]:
    line = body(
        product=ids(),
        description=texts(),
        quantity=numbers(),
        unit_price=numbers(),
        tax_rate=numbers(),
        discount_rate=numbers(),
    )
    sane = st.fixed_dictionaries(
        {"description": st.just("Widget"), "quantity": st.sampled_from(["1", "2.5"]), "unit_price": numbers()}
    )
    return st.one_of(
        st.lists(st.one_of(line, sane), max_size=4),
        st.lists(extreme_lines(), min_size=1, max_size=3),  # each field fits, the amounts may not
        st.lists(sane, min_size=199, max_size=202),  # around the cap on lines
        st.sampled_from([None, "lines", {}, 5, [None], [[]]]),  # type: ignore[list-item]
    )


def one_field_off(valid: st.SearchStrategy[dict[str, Any]], wild: st.SearchStrategy[dict[str, Any]]) -> Any:
    """A valid body with one or two of its fields replaced by wild values: the request then reaches
    the rules behind the field checks (services, the database), where an all-wild body rarely does."""

    def mix(pair: tuple[dict[str, Any], dict[str, Any]], keep: int) -> dict[str, Any]:
        base, other = pair
        names = sorted(other)[: keep % 3]
        return {**base, **{name: other[name] for name in names}}

    return st.tuples(st.tuples(valid, wild), st.integers(min_value=0, max_value=5)).map(lambda t: mix(*t))


def product_bodies() -> st.SearchStrategy[Any]:
    wild = body(sku=texts(existing=EXISTING_SKU), name=texts(), description=texts(), unit_price=numbers(), parent=ids())
    valid = st.fixed_dictionaries(
        {"sku": st.uuids().map(lambda u: f"P-{u.hex[:12]}"), "name": st.just("Widget"),
         "unit_price": st.sampled_from(["0", "12.50", "9999999999.9999"])}
    )  # fmt: skip
    return st.one_of(wild, one_field_off(valid, wild), st.sampled_from([None, [], "x", 5]))


def invoice_bodies() -> st.SearchStrategy[Any]:
    wild = body(
        number=texts(existing=EXISTING_NUMBER),
        customer_name=texts(),
        customer_email=texts(),
        currency=currencies(),
        issue_date=dates(),
        due_date=dates(),
        status=st.sampled_from(["draft", "issued", "paid", "void", "DRAFT", "", "x"]),
        lines=line_bodies(),
    )
    valid = st.fixed_dictionaries(
        {
            "number": st.uuids().map(lambda u: f"H-{u.hex[:12]}"),
            "customer_name": st.just("Ada"),
            "issue_date": st.just("2026-01-01"),
            "due_date": st.just("2026-01-31"),
            "lines": st.lists(extreme_lines(), min_size=1, max_size=3),
        }
    )
    return st.one_of(wild, valid, one_field_off(valid, wild), st.sampled_from([None, [], "x", 5]))


# The drill --------------------------------------------------------------------------------------
