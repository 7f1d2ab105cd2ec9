"""Prompt templates: named system prompts and user prompts with $variables.

A request picks one with the extra body fields `template` and `template_variables` (the
official clients send them through `extra_body`). The templates are data kept beside the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Template

import yaml

from genai_service.providers.base import Message

DEFAULT_TEMPLATES_PATH = Path(__file__).with_name("templates.yaml")


class TemplateError(ValueError):
    """Unknown template or missing variable: the caller's mistake, answered with a 400."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    system: str
    user: Template | None = None

    def render(
        self, messages: tuple[Message, ...], variables: dict[str, str]
    ) -> tuple[Message, ...]:
        rendered = [Message("system", self.system)]
        rendered.extend(messages)
        if self.user is not None:
            try:
                text = self.user.substitute(variables)
            except KeyError as exc:
                raise TemplateError(
                    f"template {self.name!r} needs the variable {exc.args[0]!r}",
                    "template_variables",
                ) from exc
            except ValueError as exc:
                raise TemplateError(f"template {self.name!r}: {exc}", "template_variables") from exc
            rendered.append(Message("user", text))
        return tuple(rendered)


class TemplateRegistry:
    def __init__(self, templates: dict[str, PromptTemplate]) -> None:
        self._templates = templates

    @classmethod
    def load(cls, path: Path = DEFAULT_TEMPLATES_PATH) -> TemplateRegistry:
        raw = yaml.safe_load(path.read_text()) or {}
        templates = {}
        for name, spec in (raw.get("templates") or {}).items():
            user = spec.get("user")
            templates[name] = PromptTemplate(
                name=name,
                system=str(spec["system"]).strip(),
                user=Template(str(user).strip()) if user else None,
            )
        return cls(templates)

    def names(self) -> list[str]:
        return sorted(self._templates)

    def apply(
        self, name: str, messages: tuple[Message, ...], variables: dict[str, str]
    ) -> tuple[Message, ...]:
        template = self._templates.get(name)
        if template is None:
            raise TemplateError(
                f"unknown template {name!r}; available: {', '.join(self.names())}", "template"
            )
        return template.render(messages, variables)
