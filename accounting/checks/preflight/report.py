"""What a pre-flight found: each check's result, the report of a run, and the refusal it may cause."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from accounting.models import AccountingChannel, PreflightLevel


@dataclass(frozen=True)
class CheckResult:
    name: str
    level: str  # PreflightLevel
    detail: str
    fix: str = ""
    # The control on the channel page that does the fix: "reconnect" (the Reconnect button),
    # "settings" or a card's anchor ("tax-mapping", "line-accounts", "payment-accounts").
    action: str = ""

    @property
    def blocks(self) -> bool:
        return self.level == PreflightLevel.FAILURE


@dataclass
class PreflightReport:
    channel: AccountingChannel
    results: list[CheckResult] = field(default_factory=list)

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.blocks]

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if r.level == PreflightLevel.WARNING]

    @property
    def blocked(self) -> bool:
        return bool(self.failures)

    def summary(self) -> str:
        """One line for a message: what blocks and how to fix it, else the warnings."""
        if self.failures:
            return preflight_failed_message(self.failures)
        if self.warnings:
            return preflight_warnings_message([r.name for r in self.warnings])
        return PREFLIGHT_PASSED


PREFLIGHT_PASSED = "Pre-flight passed."


def preflight_failed_message(failures: list[CheckResult]) -> str:
    parts = [f"{r.name}: {r.detail}{f' — {r.fix}' if r.fix else ''}" for r in failures]
    return "Pre-flight failed, so the channel was not switched on. " + " ".join(f"{p}." for p in parts)


def preflight_warnings_message(names: list[str]) -> str:
    return f"Pre-flight warnings: {', '.join(names)}. See the Pre-flight card."


class PreflightBlocked(ValidationError):
    """Switching on was refused by the pre-flight; `report` says why."""

    def __init__(self, report: PreflightReport):
        super().__init__(report.summary())
        self.report = report


def ok(name: str, detail: str) -> CheckResult:
    return CheckResult(name, PreflightLevel.OK, detail)


def fail(name: str, detail: str, fix: str, action: str = "") -> CheckResult:
    return CheckResult(name, PreflightLevel.FAILURE, detail, fix, action)


def warn(name: str, detail: str, fix: str = "", action: str = "") -> CheckResult:
    return CheckResult(name, PreflightLevel.WARNING, detail, fix, action)


def waiting_text(count: int) -> str:
    return f"{count} invoice{'' if count == 1 else 's'} wait{'s' if count == 1 else ''} until it is"
