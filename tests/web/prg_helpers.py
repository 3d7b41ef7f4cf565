"""Post/redirect/get in tests: a form sent with problems answers 303 to the GET that shows them."""

from __future__ import annotations


def shown_after(client, response):
    """The page a form sent with problems redirects to (asserting the redirect), as the browser shows it."""
    assert response.status_code == 303, f"expected a redirect to the page with the problems, got {response.status_code}"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200, page.status_code
    return page
