from hostup_dash.notifications.checks import dashboard_url_set


def test_deploy_check_warns_while_dashboard_url_is_the_development_address(settings):
    settings.DASHBOARD_URL = "http://127.0.0.1:8000/"
    assert [warning.id for warning in dashboard_url_set(None)] == ["notifications.W001"]


def test_deploy_check_is_quiet_with_the_real_address(settings):
    settings.DASHBOARD_URL = "https://dash.example.net"
    assert dashboard_url_set(None) == []
