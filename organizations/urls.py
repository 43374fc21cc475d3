from django.urls import path

from . import api_keys, views

app_name = "organizations"

urlpatterns = [
    path("switch/", views.switch_organization, name="switch"),
    path("api-keys/", api_keys.api_key_list, name="api-keys"),
    path("api-keys/<int:key_id>/revoke/", api_keys.api_key_revoke_view, name="api-key-revoke"),
]
