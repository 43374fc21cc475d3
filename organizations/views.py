from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from .middleware import SESSION_KEY
from .models import Membership


@login_required
@require_POST
def switch_organization(request: HttpRequest) -> HttpResponse:
    """Make another of the user's organizations the current one."""
    membership = (
        Membership.objects.filter(user=request.user, organization_id=request.POST.get("organization") or None)
        .select_related("organization")
        .first()
        if str(request.POST.get("organization", "")).isdigit()
        else None
    )
    if membership is None:
        messages.error(request, "You are not a member of that organization.")
    else:
        request.session[SESSION_KEY] = membership.organization_id
        messages.success(request, f"Now working in {membership.organization.name}.")
    return redirect("stores:list")
