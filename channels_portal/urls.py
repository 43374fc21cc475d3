from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="stores:list", permanent=False)),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("organizations/", include("organizations.urls")),
    path("stores/", include("stores.urls")),
    path("", include("accounting.urls")),
    path("api/", include("api.urls")),
]

if settings.XERO_SANDBOX_ENABLED:
    urlpatterns.append(path("xero-sandbox/", include("xero_sandbox.urls")))

# JSON for the Billing API, HTML for the portal (channels_portal/errors.py).
handler404 = "channels_portal.errors.page_not_found"
handler500 = "channels_portal.errors.server_error"
