"""manifest.yml validates against Slack's published manifest schema (shared/data/slack-manifest-schema)."""

import json
import os
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_DIR = ROOT.parent / "shared" / "data" / "slack-manifest-schema"
REMOTE = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/manifest.schema.{}.json"


def _validator() -> Draft7Validator:
    if not SCHEMA_DIR.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI must have shared/ beside the repo")
        pytest.skip("shared/data/slack-manifest-schema is not beside the repo")
    root = json.loads((SCHEMA_DIR / "manifest.schema.json").read_text())
    registry = Registry()
    for version in ("1.0.0", "2.0.0"):
        doc = json.loads((SCHEMA_DIR / "schemas" / f"manifest.schema.{version}.json").read_text())
        registry = registry.with_resource(REMOTE.format(version), Resource.from_contents(doc))
    return Draft7Validator(root, registry=registry)


def test_manifest_is_valid():
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    errors = sorted(_validator().iter_errors(manifest), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_manifest_has_what_ledgerlink_needs():
    m = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert [c["command"] for c in m["features"]["slash_commands"]] == ["/ledgerlink"]
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert m["settings"]["interactivity"]["is_enabled"] and m["settings"]["socket_mode_enabled"]
    assert "app_home_opened" in m["settings"]["event_subscriptions"]["bot_events"]
    assert {"chat:write", "commands", "users:read", "users:read.email", "im:write"} <= set(
        m["oauth_config"]["scopes"]["bot"])


def test_a_broken_manifest_is_caught():
    bad = yaml.safe_load((ROOT / "manifest.yml").read_text())
    bad["features"]["bot_user"]["unknown_key"] = 1
    assert list(_validator().iter_errors(bad))
