"""A small interpreter for Xero's `where` filter, turned into Django Q objects.

Supports what integrations use: `Field=="v"` (or `Field="v"`, as Xero's guides write it), `!=`,
`<`, `>`, `<=`, `>=`, `AND`/`&&`, `OR`/`||`,
parentheses, `Field.Contains("v")`, `.StartsWith`, `.EndsWith`, `Field.ToLower()=="v"`,
`Guid("…")`, `DateTime(y,m,d)`, `true`/`false`/`null` and numbers. Dotted paths such as
`Contact.ContactID` are mapped by the caller's field table; field names match case-insensitively
(Xero's guides write both `InvoiceID` and `InvoiceId`). `where_shape` tells which fields and
operators a filter uses, for the high-volume rules.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q

TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<op>==|!=|<=|>=|<|>|&&|\|\||=)
      | (?P<paren>[()])
      | (?P<comma>,)
      | (?P<dot>\.)
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
OPERATORS = {"==": "exact", "=": "exact", "!=": "exact", "<": "lt", ">": "gt", "<=": "lte", ">=": "gte"}
METHODS = {"Contains": "contains", "StartsWith": "startswith", "EndsWith": "endswith"}


class WhereError(ValueError):
    """The filter cannot be parsed or names an unknown field."""


@dataclass(frozen=True)
class Term:
    """One condition of a filter: the Xero field, the operator (`==`, `<`, `Contains`, …), ToLower/ToUpper."""

    field: str
    operator: str
    folded: bool = False


@dataclass
class WhereShape:
    """What a filter asks: its conditions and whether any are OR-joined."""

    terms: list[Term] = field(default_factory=list)
    uses_or: bool = False


def _tokenize(source: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    source = source.rstrip()
    while position < len(source):
        match = TOKEN.match(source, position)
        if not match or match.end() == position:
            raise WhereError(f"Unexpected text in where clause at position {position}: {source[position:][:20]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, source: str, fields: dict[str, str]) -> None:
        self.tokens = _tokenize(source)
        self.position = 0
        self.fields = fields
        self.by_lower = {name.lower(): name for name in fields}
        self.shape = WhereShape()

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("end", "")

    def take(self, kind: str | None = None, value: str | None = None) -> str:
        token_kind, token_value = self.peek()
        if (kind and token_kind != kind) or (value and token_value != value):
            raise WhereError(f"Expected {value or kind} but found {token_value or 'the end'!r}")
        self.position += 1
        return token_value

    def parse(self) -> Q:
        result = self.expression()
        if self.peek()[0] != "end":
            raise WhereError(f"Unexpected {self.peek()[1]!r} in where clause")
        return result

    def expression(self) -> Q:
        result = self.term()
        while self.peek() in {("op", "||"), ("word", "OR"), ("word", "or")}:
            self.position += 1
            self.shape.uses_or = True
            result = result | self.term()
        return result

    def term(self) -> Q:
        result = self.factor()
        while self.peek() in {("op", "&&"), ("word", "AND"), ("word", "and")}:
            self.position += 1
            result = result & self.factor()
        return result

    def factor(self) -> Q:
        if self.peek() == ("paren", "("):
            self.take("paren", "(")
            inner = self.expression()
            self.take("paren", ")")
            return inner
        return self.comparison()

    def comparison(self) -> Q:
        path = [self.take("word")]
        lower = False
        while self.peek()[0] == "dot":
            self.take("dot")
            name = self.take("word")
            if name in METHODS:
                self.take("paren", "(")
                value = self.value()
                self.take("paren", ")")
                self.shape.terms.append(Term(self.name(".".join(path)), name, lower))
                return Q(**{f"{self.field('.'.join(path))}__i{METHODS[name]}": value})
            if name in {"ToLower", "ToUpper"}:
                self.take("paren", "(")
                self.take("paren", ")")
                lower = True
                continue
            path.append(name)
        operator = self.take("op")
        if operator not in OPERATORS:
            raise WhereError(f"Unexpected operator {operator!r}")
        value = self.value()
        field = self.field(".".join(path))
        self.shape.terms.append(Term(self.name(".".join(path)), "==" if operator == "=" else operator, lower))
        if value is None:
            condition = Q(**{f"{field}__isnull": True}) | Q(**{field: ""})
        else:
            lookup = "iexact" if lower and OPERATORS[operator] == "exact" else OPERATORS[operator]
            condition = Q(**{f"{field}__{lookup}": value})
        return ~condition if operator == "!=" else condition

    def name(self, name: str) -> str:
        """Return the field table's spelling of `name` (Xero matches field names case-insensitively)."""
        if name.lower() not in self.by_lower:
            raise WhereError(f"No property or field '{name}' exists")
        return self.by_lower[name.lower()]

    def field(self, name: str) -> str:
        return self.fields[self.name(name)]

    def value(self) -> Any:
        kind, raw = self.peek()
        self.position += 1
        if kind == "string":
            return raw[1:-1].replace('\\"', '"')
        if kind == "number":
            return Decimal(raw)
        if kind == "word" and raw in {"true", "false"}:
            return raw == "true"
        if kind == "word" and raw == "null":
            return None
        if kind == "word" and raw == "Guid":
            self.take("paren", "(")
            text = self.take("string")[1:-1]
            self.take("paren", ")")
            try:
                return uuid.UUID(text)
            except ValueError:
                raise WhereError(f"Guid({text!r}) is not a valid GUID") from None
        if kind == "word" and raw in {"DateTime", "DateTimeOffset"}:
            self.take("paren", "(")
            parts = [int(self.take("number"))]
            while self.peek()[0] == "comma":
                self.take("comma")
                parts.append(int(self.take("number")))
            self.take("paren", ")")
            return dt.date(*parts[:3])
        raise WhereError(f"Unexpected {raw or 'end of where clause'!r} where a value was expected")


def where_to_q(source: str, fields: dict[str, str]) -> Q:
    """Return a Q for Xero's `where` text; `fields` maps Xero names (e.g. "Contact.ContactID") to ORM paths."""
    if not source.strip():
        return Q()
    return _Parser(source, fields).parse()


def where_shape(source: str, fields: dict[str, str]) -> WhereShape:
    """Return the conditions of Xero's `where` text (raise WhereError when it cannot be parsed)."""
    if not source.strip():
        return WhereShape()
    parser = _Parser(source, fields)
    parser.parse()
    return parser.shape
