from django.urls import path

from . import views

app_name = "accounting"

urlpatterns = [
    path("stores/<int:store_id>/channels/", views.store_channels, name="store-channels"),
]
