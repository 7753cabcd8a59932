"""The office's settings: product defaults, overridden from office.json, refused with the reason
when a value cannot be used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workflows.configuration import (
    DEFAULT_EXTENSIONS_PER_TIER,
    DEFAULT_TASK_PERIODS,
    OfficeSettings,
    SettingsError,
)


def write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "office.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def test_without_a_file_the_defaults_hold(tmp_path: Path) -> None:
    settings = OfficeSettings.load(tmp_path / "office.json")
    assert settings.task_periods == DEFAULT_TASK_PERIODS
    assert settings.extensions_per_tier == DEFAULT_EXTENSIONS_PER_TIER == 2
    assert settings.task_periods["signing"] == {"days": 5, "unit": "WD"}


def test_task_periods_and_extension_requests_are_overridden_one_by_one(tmp_path: Path) -> None:
    settings = OfficeSettings.load(write(tmp_path, {
        "task_periods": {"signing": {"days": 3, "unit": "WD"}}, "extensions_per_tier": 4}))
    assert settings.task_periods["signing"] == {"days": 3, "unit": "WD"}
    assert settings.task_periods["drafting"] == DEFAULT_TASK_PERIODS["drafting"]
    assert settings.extensions_per_tier == 4


@pytest.mark.parametrize(("content", "phrase"), [
    ({"task_periods": {"lunch": {"days": 1, "unit": "CD"}}}, "task_periods"),
    ({"task_periods": {"signing": {"days": 0, "unit": "WD"}}}, "task_periods.signing"),
    ({"extensions_per_tier": -1}, "extensions_per_tier"),
    ({"extensions_per_tier": "two"}, "extensions_per_tier"),
])
def test_values_that_cannot_be_used_are_refused_with_their_name(
    tmp_path: Path, content: object, phrase: str
) -> None:
    with pytest.raises(SettingsError, match=phrase.replace(".", r"\.")):
        OfficeSettings.load(write(tmp_path, content))
