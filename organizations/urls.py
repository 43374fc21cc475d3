from django.urls import path

from . import api_keys, invitation_views, views

app_name = "organizations"

urlpatterns = [
    path("switch/", views.switch_organization, name="switch"),
    path("members/", views.member_list, name="members"),
    path("members/<int:membership_id>/role/", views.member_role, name="member-role"),
    path("members/<int:membership_id>/remove/", views.member_remove, name="member-remove"),
    path("invitations/", invitation_views.invitation_list, name="invitations"),
    path("invitations/<int:invitation_id>/revoke/", invitation_views.invitation_revoke_view, name="invitation-revoke"),
    # The token comes in the query string (?token=…), which no server log keeps.
    path("invitations/accept/", invitation_views.invitation_accept_view, name="invitation-accept"),
    path("api-keys/", api_keys.api_key_list, name="api-keys"),
    path("api-keys/<int:key_id>/revoke/", api_keys.api_key_revoke_view, name="api-key-revoke"),
]
