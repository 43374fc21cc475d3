"""Xero's rate-limit headers, read once into RateHeaders."""

from __future__ import annotations

from urllib3 import HTTPHeaderDict

from accounting.providers.xero.headers import RateHeaders

# The headers of a Xero answer, as the SDK hands them over (urllib3's header dict).
ANSWER = HTTPHeaderDict({
    "Content-Type": "application/json; charset=utf-8",
    "X-DayLimit-Remaining": "4987",
    "X-MinLimit-Remaining": "59",
    "X-AppMinLimit-Remaining": "9998",
    "X-Correlation-Id": "5f1c8e0e-2f0c-4d5e-9a43-0b1f5a2c6d7e",
})  # fmt: skip


def test_the_counts_of_an_answer_are_read_as_numbers():
    rates = RateHeaders.of(ANSWER)

    assert rates == RateHeaders(day_remaining=4987, minute_remaining=59, app_minute_remaining=9998)
    assert (rates.day_spent, rates.app_spent) == (False, False)


def test_header_names_compare_case_insensitively():
    lowered = {"x-daylimit-remaining": "12", "x-minlimit-remaining": "3", "x-applimit-remaining": "40"}

    assert RateHeaders.of(lowered) == RateHeaders(day_remaining=12, minute_remaining=3, app_remaining=40)


def test_an_absent_or_unreadable_count_is_unknown():
    rates = RateHeaders.of({"X-DayLimit-Remaining": "many", "X-MinLimit-Remaining": " 7 "})

    assert rates == RateHeaders(day_remaining=None, minute_remaining=7)
    assert RateHeaders.of({}) == RateHeaders()
    assert (RateHeaders().day_spent, RateHeaders().app_spent) == (False, False)


def test_a_spent_day_and_a_spent_app_budget_are_told_apart():
    day = RateHeaders.of({"X-DayLimit-Remaining": "0", "X-MinLimit-Remaining": "12"})
    app_minute = RateHeaders.of({"X-DayLimit-Remaining": "300", "X-AppMinLimit-Remaining": "0"})
    app = RateHeaders.of({"X-AppLimit-Remaining": "0"})
    below_zero = RateHeaders.of({"X-DayLimit-Remaining": "-2"})

    assert (day.day_spent, day.app_spent) == (True, False)
    assert (app_minute.day_spent, app_minute.app_spent) == (False, True)
    assert app.app_spent is True
    assert (below_zero.day_remaining, below_zero.day_spent) == (0, True)


def test_the_counts_a_person_reads_are_labelled():
    assert RateHeaders.of(ANSWER).shown() == {
        "today": 4987,
        "this minute": 59,
        "this minute for the whole app": 9998,
    }
