"""The mail the `screening` command sends: a header setting with a line break is refused with its name, and the links
in emails the command sends lead to the same address as the running server's, or the command refuses and says why."""

from __future__ import annotations

from pathlib import Path

from tests.cli_helpers import run_cli


def init(folder: Path, *config_lines: str) -> Path:
    done = run_cli(folder, "init", "--instance", str(folder))
    assert done.returncode == 0, done.stderr
    if config_lines:
        with (folder / "config.py").open("a", encoding="utf-8") as config:
            config.write("\n" + "\n".join(config_lines) + "\n")
    return folder


def test_a_sender_address_with_a_line_break_stops_the_command_naming_the_setting(tmp_path):
    instance = init(tmp_path / "clinic", "MAIL_FROM = 'screening@clinic.example\\nBcc: someone@evil.example'")

    run = run_cli(instance, "mail", "send")

    assert run.returncode == 1
    assert "MAIL_FROM must not contain a line break" in run.stderr
    assert "evil" not in run.stderr and "Traceback" not in run.stderr
