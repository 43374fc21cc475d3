"""Invitation pages: owners and admins invite and withdraw; the invitee accepts from the e-mailed link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from channels_portal.tenancy import get_in_organization

from .decorators import manager_required
from .forms import InvitationSignUpForm, MemberInviteForm
from .invitations import (
    INVITATION_TTL,
    InvitationUnusable,
    invitation_accept,
    invitation_create,
    invitation_for_token,
    invitation_revoke,
    invitation_sign_up,
    open_invitations_of,
)
from .middleware import SESSION_KEY
from .models import Invitation, Membership


@manager_required
@require_http_methods(["GET", "POST"])
def invitation_list(request: HttpRequest) -> HttpResponse:
    """Invite someone by e-mail address; list the open invitations."""
    organization = request.organization  # type: ignore[attr-defined]
    form = MemberInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_create(organization=organization, actor=request.membership, **form.cleaned_data)  # type: ignore[attr-defined]
        except ValidationError as error:
            form.add_error(None, error)  # field errors go to their fields
        else:
            # The same answer whether or not the address has an account.
            messages.success(
                request,
                f"Invitation sent to {invitation.email} as {invitation.get_role_display()}. "
                f"The link in it works for {INVITATION_TTL.days} days.",
            )
            return redirect("organizations:invitations")
    context = {"form": form, "invitations": open_invitations_of(organization=organization)}
    return render(request, "organizations/invitation_list.html", context, status=400 if form.errors else 200)


@manager_required
@require_POST
def invitation_revoke_view(request: HttpRequest, invitation_id: int) -> HttpResponse:
    """Withdraw one of the organization's open invitations (another organization's answers 404)."""
    organization = request.organization  # type: ignore[attr-defined]
    invitation = get_in_organization(
        Invitation.objects.all(), organization=organization, path="organization", pk=invitation_id
    )
    try:
        invitation_revoke(invitation=invitation, actor=request.membership)  # type: ignore[attr-defined]
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The invitation to {invitation.email} is withdrawn: its link no longer works.")
    return redirect("organizations:invitations")


def _joined(request: HttpRequest, membership: Membership) -> HttpResponse:
    request.session[SESSION_KEY] = membership.organization_id
    messages.success(
        request, f"Welcome to {membership.organization.name}: you are a member as {membership.get_role_display()}."
    )
    return redirect("stores:list")


@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest) -> HttpResponse:
    """Show an invitation; accept it logged in, or create the invited address's account here."""
    raw_token = request.GET.get("token", "") or request.POST.get("token", "")
    try:
        invitation = invitation_for_token(raw_token=raw_token)
    except InvitationUnusable as unusable_link:
        return render(request, "organizations/invitation_unusable.html", {"reason": str(unusable_link)}, status=410)
    sign_up = InvitationSignUpForm(request.POST if request.POST.get("action") == "sign-up" else None)
    sign_up.instance.email = invitation.email  # the password must not resemble it either
    error = ""
    try:
        if request.method == "POST" and request.POST.get("action") == "accept" and request.user.is_authenticated:
            return _joined(request, invitation_accept(raw_token=raw_token, user=request.user))
        if request.method == "POST" and not request.user.is_authenticated and sign_up.is_valid():
            membership = invitation_sign_up(
                raw_token=raw_token,
                username=sign_up.cleaned_data["username"],
                password=sign_up.cleaned_data["password1"],
            )
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            return _joined(request, membership)
    except InvitationUnusable as unusable:
        error = str(unusable)
    except ValidationError as refused:
        error = " ".join(refused.messages)
    here = f"{reverse('organizations:invitation-accept')}?{urlencode({'token': raw_token})}"
    context = {
        "invitation": invitation,
        "token": raw_token,
        "sign_up": sign_up,
        "error": error,
        "login_url": f"{reverse('login')}?{urlencode({'next': here})}",
        "email_matches": request.user.is_authenticated
        and (request.user.email or "").strip().lower() == invitation.email,  # type: ignore[union-attr]
    }
    status = 400 if error or sign_up.errors else 200
    return render(request, "organizations/invitation_accept.html", context, status=status)
