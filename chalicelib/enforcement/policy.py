"""Per-group settings (validated) and the permission sets we apply."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chalicelib.errors import InvalidInput

PERMISSION_FIELDS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_react_to_messages",
    "can_edit_tag",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)

#: What a muted member may do: nothing.
MUTED: dict[str, bool] = dict.fromkeys(PERMISSION_FIELDS, False)


class GroupSettings(BaseModel):
    """What a group's admins can tune. Defaults are what a new group gets."""

    model_config = ConfigDict(extra="ignore")

    notice_ttl: int = Field(default=60, ge=10, le=86_400)
    unknown_policy: Literal["allow", "hold"] = "allow"
    sender_chat_policy: Literal["delete", "ban", "allow"] = "delete"
    allow_bots: bool = True
    kick_after_minutes: int | None = Field(default=None, ge=1, le=10_080)
    language: str | None = Field(default=None, max_length=8)
    notice_template: str | None = Field(default=None, max_length=1024)
    whitelist: list[int] = Field(default_factory=list, max_length=500)
    join_request_timeout_minutes: int = Field(default=60, ge=5, le=10_080)

    @field_validator("notice_template")
    @classmethod
    def _valid_template(cls, value: str | None) -> str | None:
        from chalicelib.enforcement.texts import validate_template

        if value is None:
            return None
        problem = validate_template(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        from chalicelib.enforcement.locales import LANGUAGES

        if value is not None and value not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(sorted(LANGUAGES))}")
        return value

    @classmethod
    def load(cls, raw: dict[str, Any] | None) -> GroupSettings:
        """Settings stored on a group item; unknown or broken values fall back to defaults."""
        try:
            return cls.model_validate(raw or {})
        except ValidationError:
            valid = {}
            for key, value in (raw or {}).items():
                try:
                    cls.model_validate({key: value})
                except ValidationError:
                    continue
                valid[key] = value
            return cls.model_validate(valid)

    def changed(self, **updates: Any) -> GroupSettings:
        """A copy with ``updates`` applied, validated; ``InvalidInput`` names the bad field."""
        try:
            return self.model_validate({**self.model_dump(), **updates})
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise InvalidInput(f"{field}: {first['msg']}", field=field) from None


def _permission_values(source: dict[str, Any]) -> dict[str, bool]:
    """Every known permission (missing = False) and any newer ``can_*`` flag Telegram sent,
    so restoring never drops a right we do not know of yet."""
    values = {name: bool(source.get(name, False)) for name in PERMISSION_FIELDS}
    values.update({k: v for k, v in source.items() if k.startswith("can_") and isinstance(v, bool)})
    return values


def default_permissions(chat: dict[str, Any]) -> dict[str, bool]:
    """The group's default member permissions from a ``getChat`` answer."""
    return _permission_values(chat.get("permissions") or {})


def permissions_of(member: dict[str, Any]) -> dict[str, bool] | None:
    """The explicit permissions of a ``restricted`` ChatMember, else None."""
    if member.get("status") != "restricted":
        return None
    return _permission_values(member)
