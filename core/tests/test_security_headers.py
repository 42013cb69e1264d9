"""Security headers on portal, admin and error responses."""

import pytest

PAGES = ["/portal/login/", "/admin/login/", "/portal/does-not-exist/"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_it_sends_a_strict_content_security_policy(client, url):
    response = client.get(url)
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_it_sends_the_other_security_headers(client, url):
    response = client.get(url)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_portal_pages_have_no_inline_scripts(client):
    body = client.get("/portal/login/").content.decode()
    assert "<script>" not in body
    assert "onclick=" not in body
