from django.test import RequestFactory

from hostup_dash.core.views import server_error


def test_htmx_gets_only_the_message_to_swap_in():
    response = server_error(RequestFactory().get("/", HTTP_HX_REQUEST="true"))

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page and "<html" not in page and "topbar" not in page


def test_a_plain_request_gets_the_whole_page():
    page = server_error(RequestFactory().get("/")).content.decode()

    assert "<html" in page and "Something went wrong on our side" in page
