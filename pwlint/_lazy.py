"""libcst, imported on first use.

`pwlint rules`, `explain`, `standards` and a scan answered from the cache never touch a syntax tree,
and importing libcst costs about 0.2 s of every such run. Modules that work on trees import `cst`
from here; the first attribute read imports libcst and copies its names in, so later reads are
plain attribute lookups.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class _LazyModule(ModuleType):
    def __getattr__(self, name: str) -> Any:
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)
        return getattr(module, name)


cst: Any = _LazyModule("libcst")
