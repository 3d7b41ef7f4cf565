"""Pre-consultation eligibility screening for aesthetic injectables.

The package itself imports nothing heavy, so `screening.domain` stays free of Flask; the app factory lives in
screening.app and is reachable here as `screening:create_app` for WSGI servers.
"""


def __getattr__(name: str):
    if name == "create_app":
        from screening.app import create_app

        return create_app
    raise AttributeError(f"module 'screening' has no attribute {name!r}")
