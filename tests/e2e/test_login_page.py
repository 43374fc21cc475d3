import pytest


@pytest.mark.browser
def test_signed_in_operator_reaches_the_store_list_from_the_menu(logged_in_page, live_server, organization):
    from tests.factories import StoreFactory

    StoreFactory.create(organization=organization, name="High Street Shop")
    logged_in_page.goto(f"{live_server.url}/")
    logged_in_page.get_by_role("link", name="Stores").click()
    assert logged_in_page.get_by_role("heading", name="Stores").is_visible()
    assert logged_in_page.get_by_role("cell", name="High Street Shop").is_visible()
