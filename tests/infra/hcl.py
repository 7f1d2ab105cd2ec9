"""The Terraform under infra/, parsed with python-hcl2, and the references its expressions make.

python-hcl2 (8.x) returns blocks as lists of dicts, keeps the quotes of string literals
(`'"x"'`) and writes every other expression as `${...}` text; `unquote` and `refs` work on that.
Comments are dropped (the `__comments__` key), so a reference in a comment does not count.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import hcl2

from tests.conftest import ROOT

INFRA = ROOT / "infra"
ROOT_MODULE = INFRA / "terraform"
# Every directory holding .tf files is one Terraform module.
MODULE_DIRS = sorted({p.parent for p in INFRA.rglob("*.tf") if ".terraform" not in p.parts})

_ID = r"[A-Za-z_][A-Za-z0-9_-]*"
_VAR = re.compile(rf"(?<![\w.])var\.({_ID})")
_LOCAL = re.compile(rf"(?<![\w.])local\.({_ID})")
_DATA = re.compile(rf"(?<![\w.])data\.({_ID})\.({_ID})")
_MODULE = re.compile(rf"(?<![\w.])module\.({_ID})")
_RESOURCE = re.compile(rf"(?<![\w.:/-])((?:aws|random|archive|terraform)_[A-Za-z0-9_]+)\.({_ID})")


def unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def clean(value: Any) -> Any:
    """Quotes off every key and string, comments and python-hcl2's block markers dropped."""
    if isinstance(value, dict):
        return {
            unquote(k): clean(v)
            for k, v in value.items()
            if not (isinstance(k, str) and k.startswith("__") and k.endswith("__"))
        }
    if isinstance(value, list):
        return [clean(v) for v in value]
    return unquote(value)


@dataclass
class Module:
    path: Path
    files: dict[str, dict[str, Any]] = field(default_factory=dict)

    def blocks(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        """(file name, block body) for every top-level block of a kind."""
        out = []
        for name, parsed in self.files.items():
            for block in parsed.get(kind, []):
                out.append((name, block))
        return out

    @property
    def variables(self) -> dict[str, dict[str, Any]]:
        return {k: v for _, b in self.blocks("variable") for k, v in b.items()}

    @property
    def outputs(self) -> dict[str, dict[str, Any]]:
        return {k: v for _, b in self.blocks("output") for k, v in b.items()}

    @property
    def locals(self) -> dict[str, Any]:
        return {k: v for _, b in self.blocks("locals") for k, v in b.items()}

    @property
    def resources(self) -> set[tuple[str, str]]:
        return {(t, n) for _, b in self.blocks("resource") for t, named in b.items() for n in named}

    @property
    def data_sources(self) -> set[tuple[str, str]]:
        return {(t, n) for _, b in self.blocks("data") for t, named in b.items() for n in named}

    @property
    def module_calls(self) -> dict[str, dict[str, Any]]:
        return {k: v for _, b in self.blocks("module") for k, v in b.items()}

    def instances(self, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """A block once per entry of its `for_each` (a literal map in locals), each.key and
        each.value(.attribute) written in; a block without for_each once, as it is."""
        if "for_each" not in body:
            return [("", body)]
        m = re.fullmatch(r"\$\{local\.(\w+)\}", body["for_each"])
        assert m, f"for_each over {body['for_each']}: only a local map can be expanded"
        entries = self.locals[m.group(1)]
        assert isinstance(entries, dict), f"local.{m.group(1)} must be a literal map"
        text = json.dumps({k: v for k, v in body.items() if k != "for_each"})
        out = []
        for key, value in entries.items():
            filled = text.replace("${each.key}", key)
            attrs = value if isinstance(value, dict) else {}
            for attr, v in attrs.items():
                assert isinstance(v, str), f"each.value.{attr}: only strings are written in"
                filled = filled.replace(f"${{each.value.{attr}}}", v)
            if isinstance(value, str):
                filled = filled.replace("${each.value}", value)
            assert "each." not in filled, f"[{key}]: an each. reference is left: {filled}"
            out.append((f"[{key}]", json.loads(filled)))
        return out

    def text(self) -> str:
        """Every expression of the module (comments and `moved` blocks excluded) as one string
        to search. A `moved` block names an address that no longer exists on purpose."""
        return json.dumps(
            {n: {k: v for k, v in f.items() if k != "moved"} for n, f in self.files.items()}
        )

    @property
    def moves(self) -> list[tuple[str, str]]:
        """(from, to) of every `moved` block, addresses as written."""
        return [(m["from"].strip("${}"), m["to"].strip("${}")) for _, m in self.blocks("moved")]

    def resource(self, rtype: str, name: str) -> dict[str, Any]:
        for _, b in self.blocks("resource"):
            if rtype in b and name in b[rtype]:
                return dict(b[rtype][name])
        raise KeyError(f"{rtype}.{name}")

    def data(self, dtype: str, name: str) -> dict[str, Any]:
        for _, b in self.blocks("data"):
            if dtype in b and name in b[dtype]:
                return dict(b[dtype][name])
        raise KeyError(f"data.{dtype}.{name}")


@cache
def load(path: Path) -> Module:
    module = Module(path)
    for tf in sorted(path.glob("*.tf")):
        with tf.open() as fh:
            module.files[tf.name] = clean(hcl2.load(fh))
    return module


def refs(text: str) -> dict[str, set[Any]]:
    # Inside python-hcl2's JSON text, string quotes are escaped (\"), which the patterns allow.
    return {
        "var": set(_VAR.findall(text)),
        "local": set(_LOCAL.findall(text)),
        "data": set(_DATA.findall(text)),
        "module": set(_MODULE.findall(text)),
        "resource": set(_RESOURCE.findall(re.sub(rf"data\.{_ID}\.{_ID}", "", text))),
    }
