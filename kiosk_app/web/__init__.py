"""Web plumbing shared by the blueprints."""


def no_store(response):
    """Pages of people's requests and shared screens are never kept by the browser or a proxy."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response
