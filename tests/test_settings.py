"""Settings that shape the whole app (screening/settings.py): PUBLIC_URL from the listen address, with a warning
when they differ, and no automatic OPTIONS answer on a route."""

from __future__ import annotations

import logging

import pytest

from screening import settings


def test_listen_address_gives_the_default_public_url(tmp_path):
    config = {"LISTEN": "127.0.0.1:5077", "PUBLIC_URL": "http://127.0.0.1:5000"}
    settings.settle(config, str(tmp_path), explicit=False)
    assert config["PUBLIC_URL"] == "http://127.0.0.1:5077"


def test_a_public_url_set_in_the_instance_config_wins_and_a_mismatch_is_logged(tmp_path, caplog):
    (tmp_path / "config.py").write_text('PUBLIC_URL = "https://clinic.example"\n')
    assert settings.public_url_set_explicitly(str(tmp_path), environ={})
    config = {"LISTEN": "127.0.0.1:5077", "PUBLIC_URL": "https://clinic.example"}
    with caplog.at_level(logging.WARNING, logger="screening.settings"):
        settings.settle(config, str(tmp_path))
    assert config["PUBLIC_URL"] == "https://clinic.example"
    assert "listens on 127.0.0.1:5077" in caplog.text
    assert "https://clinic.example" in caplog.text


def test_the_environment_counts_as_a_choice_and_matching_addresses_log_nothing(tmp_path, caplog):
    assert settings.public_url_set_explicitly(str(tmp_path), environ={"SCREENING_PUBLIC_URL": "http://x"})
    assert not settings.public_url_set_explicitly(str(tmp_path), environ={})
    assert settings.mismatch("http://localhost:5077/", "127.0.0.1:5077") is None
    assert settings.mismatch("http://127.0.0.1:5077", "0.0.0.0:5077") is None
    assert settings.mismatch("http://127.0.0.1:5000", "127.0.0.1:5077") is not None
    assert settings.url_for_listen("0.0.0.0:8000") == "http://127.0.0.1:8000"


@pytest.mark.parametrize("path", ["/start", "/clinician/logout", "/clinician/submissions/1/decision"])
def test_options_is_not_answered_on_post_only_routes(client, path):
    response = client.open(path, method="OPTIONS")

    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
