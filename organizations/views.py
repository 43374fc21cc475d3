from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from .decorators import manager_required
from .forms import MemberInviteForm, MemberRoleForm
from .middleware import SESSION_KEY
from .models import Role
from .selectors import members_of, membership_in_organization, memberships_for_user
from .services import PICK_A_ROLE, membership_mark_used, membership_remove, membership_role_change

NOT_A_MEMBER_OF_THAT = "You are not a member of that organization."


def now_working_in_message(*, organization_name: str) -> str:
    return f"Now working in {organization_name}."


@login_required
@require_POST
def switch_organization(request: HttpRequest) -> HttpResponse:
    """Make another of the user's organizations the current one."""
    chosen = request.POST.get("organization", "")
    membership = (
        memberships_for_user(user=request.user).filter(organization_id=int(chosen)).first()
        if chosen.isascii() and chosen.isdigit()
        else None
    )
    if membership is None:
        messages.error(request, NOT_A_MEMBER_OF_THAT)
    else:
        request.session[SESSION_KEY] = membership.organization_id
        membership_mark_used(membership=membership)
        messages.success(request, now_working_in_message(organization_name=membership.organization.name))
    return redirect("stores:list")


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@manager_required
@require_GET
def member_list(request: HttpRequest) -> HttpResponse:
    """List the organization's members, with forms to re-role and remove them and to invite someone."""
    organization = request.organization  # type: ignore[attr-defined]
    context = {"members": members_of(organization=organization), "form": MemberInviteForm(), "roles": Role.choices}
    return render(request, "organizations/member_list.html", context)


@manager_required
@require_POST
def member_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    """Change one member's role."""
    membership = membership_in_organization(organization=request.organization, membership_id=membership_id)  # type: ignore[attr-defined]
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, PICK_A_ROLE)
        return redirect("organizations:members")
    try:
        membership_role_change(membership=membership, actor=request.membership, role=form.cleaned_data["role"])  # type: ignore[attr-defined]
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"{membership.user.get_username()} is now {membership.get_role_display()}.")
    return redirect("organizations:members")


@manager_required
@require_POST
def member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    """Remove a member from the organization."""
    membership = membership_in_organization(organization=request.organization, membership_id=membership_id)  # type: ignore[attr-defined]
    removed_self = membership.pk == request.membership.pk  # type: ignore[attr-defined]
    try:
        membership_remove(membership=membership, actor=request.membership)  # type: ignore[attr-defined]
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("organizations:members")
    messages.success(request, f"{membership.user.get_username()} removed from {request.organization.name}.")  # type: ignore[attr-defined]
    if removed_self:
        return redirect("stores:list")
    return redirect("organizations:members")
