"""Masking personal numbers in lists: enough to tell people apart, not enough to misuse."""

from __future__ import annotations

from flask import Flask


def mask_phone(phone: str | None) -> str:
    """``13812345678`` -> ``138****5678``; short numbers keep only their last two digits."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    return "*" * max(len(digits) - 2, 0) + digits[-2:]


def mask_id_number(number: str | None) -> str:
    """A resident ID number with only its first and last four characters shown."""
    if not number:
        return ""
    value = number.strip()
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def init_app(app: Flask) -> None:
    """Register the masks as template filters."""
    app.add_template_filter(mask_phone, "masked_phone")
    app.add_template_filter(mask_id_number, "masked_id")
