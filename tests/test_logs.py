"""One logging setup: request ids, JSON lines, and redaction on every handler."""

from __future__ import annotations

import json
import logging

import pytest

from aria.logs import (
    REDACTED,
    RedactionFilter,
    configure_logging,
    redact,
    register_secret,
    request_id_var,
)


def test_registered_secrets_and_credential_shapes_are_redacted() -> None:
    register_secret("s3cr3t-value-123")
    text = redact(
        "calling with s3cr3t-value-123; Authorization: Bearer eyJabc.def; "
        "password=hunter22 api_key: AKIA123"
    )
    assert "s3cr3t-value-123" not in text
    assert "eyJabc.def" not in text
    assert "hunter22" not in text
    assert "AKIA123" not in text
    assert text.count(REDACTED) == 4


def test_json_lines_carry_the_request_id_and_no_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("json", "INFO")
    register_secret("planted-secret-xyz")
    token = request_id_var.set("req-12345678")
    try:
        logging.getLogger("aria.test").info("token is %s", "planted-secret-xyz")
        try:
            raise RuntimeError("failed with planted-secret-xyz")
        except RuntimeError:
            logging.getLogger("aria.test").exception("boom")
    finally:
        request_id_var.reset(token)
        configure_logging("text", "INFO")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    ours = [line for line in lines if line["logger"] == "aria.test"]
    assert [line["request_id"] for line in ours] == ["req-12345678", "req-12345678"]
    assert "planted-secret-xyz" not in json.dumps(lines)
    assert "RuntimeError" in ours[1]["exception"]


def test_filter_renders_arguments_once() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a %s b", ("c",), None)
    assert RedactionFilter().filter(record)
    assert record.getMessage() == "a c b"
    assert record.request_id == "-"
