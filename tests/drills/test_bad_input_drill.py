"""Drill 5 in reduced form: hypothesis on the Billing API and the forms, schemathesis on the API schema."""

from __future__ import annotations

import io

import pytest

from drills import bad_input

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_bad_input_never_answers_5xx_and_every_refusal_is_a_clear_4xx_that_saves_nothing():
    out = io.StringIO()
    figures = bad_input.run(examples=20, out=out)
    assert figures.failures == [], out.getvalue()
    assert figures.server_errors == 0
    # Every part ran, and the drill refused as well as accepted.
    for target in ("API product create", "API invoice update", "invoice form", "channel form"):
        assert figures.by_target[target] >= 10, out.getvalue()
    assert any(target.startswith("schemathesis POST /api/v1/stores/") for target in figures.by_target)
    assert figures.of_class(4) > 0 and figures.of_class(2) > 0
