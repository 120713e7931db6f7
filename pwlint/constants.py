"""Fold constant expressions, so rules compare values rather than spellings.

`ITERATIONS = 1_000`, `2**10`, `1 << 14`, `"pbkdf2:" + "sha1"`, `DEFAULTS["scheme"]`, a name
assigned once in the function or module, and `self.rounds` set once in the class body all fold
to plain Python values; so do another module's constants and class attributes
(`settings.ROUNDS`, `Restriction.PASSWORD`, an imported `ROUNDS`), when the caller hands in a
way to look them up (`Program.constant`).
Anything else is `UNKNOWN`: a rule never guesses a threshold from an expression it cannot read.
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any, Callable, Optional

if TYPE_CHECKING:
    import libcst as cst
else:
    from pwlint._lazy import cst  # libcst loads on first use, not when rules load

from pwlint.names import ModuleModel, Scope


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()

_MAX_BITS = 256  # bigger integers are never thresholds; refusing them keeps `2**10**9` harmless

_BINARY: dict[str, Callable[[Any, Any], Any]] = {  # by libcst operator class name
    "Add": operator.add,
    "Subtract": operator.sub,
    "Multiply": operator.mul,
    "FloorDivide": operator.floordiv,
    "Divide": operator.truediv,
    "Modulo": operator.mod,
    "Power": operator.pow,
    "LeftShift": operator.lshift,
    "RightShift": operator.rshift,
    "BitOr": operator.or_,
}

_NAMED = {"True": True, "False": False, "None": None}

# The value of a constant elsewhere by its qualified name (`pkg.settings.ROUNDS`), or UNKNOWN; the
# second argument is the depth reached, which the lookup hands back to `fold` so cycles end.
Imported = Callable[[str, int], Any]


def fold(expr: Optional[cst.BaseExpression], model: ModuleModel, scope: Scope, imported: Optional[Imported] = None,
         _depth: int = 0) -> Any:
    """The constant value of `expr`, or UNKNOWN."""
    if expr is None or _depth > 30:
        return UNKNOWN
    folder = _FOLDERS.get(type(expr).__name__)
    if folder is None:
        return UNKNOWN
    try:
        return folder(expr, model, scope, imported, _depth + 1)
    except (ArithmeticError, TypeError, ValueError, OverflowError):
        return UNKNOWN


def _integer(expr: cst.Integer, model: ModuleModel, scope: Scope, imported: Optional[Imported], depth: int) -> Any:
    return int(expr.value.replace("_", ""), 0)


def _float(expr: cst.Float, model: ModuleModel, scope: Scope, imported: Optional[Imported], depth: int) -> Any:
    return float(expr.value.replace("_", ""))


def _string(expr: cst.SimpleString, model: ModuleModel, scope: Scope, imported: Optional[Imported], depth: int) -> Any:
    return expr.evaluated_value


def _concatenated(expr: cst.ConcatenatedString, model: ModuleModel, scope: Scope, imported: Optional[Imported],
                  depth: int) -> Any:
    left = fold(expr.left, model, scope, imported, depth)
    right = fold(expr.right, model, scope, imported, depth)
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    return left + right


def _binary(expr: cst.BinaryOperation, model: ModuleModel, scope: Scope, imported: Optional[Imported],
            depth: int) -> Any:
    op = _BINARY.get(type(expr.operator).__name__)
    left = fold(expr.left, model, scope, imported, depth)
    right = fold(expr.right, model, scope, imported, depth)
    if op is None or left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    if isinstance(expr.operator, (cst.Power, cst.LeftShift)) and _too_big(left, right, expr.operator):
        return UNKNOWN
    if isinstance(expr.operator, cst.Modulo) and isinstance(left, str):
        return UNKNOWN  # %-formatting builds text, not thresholds
    return op(left, right)


def _too_big(left: Any, right: Any, op: cst.BaseBinaryOp) -> bool:
    if not isinstance(left, int) or not isinstance(right, int):
        return False
    bits = right if isinstance(op, cst.LeftShift) else right * max(abs(left), 2).bit_length()
    return bits > _MAX_BITS


def _unary(expr: cst.UnaryOperation, model: ModuleModel, scope: Scope, imported: Optional[Imported], depth: int) -> Any:
    value = fold(expr.expression, model, scope, imported, depth)
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(expr.operator, cst.Minus):
        return -value
    if isinstance(expr.operator, cst.Plus):
        return +value
    if isinstance(expr.operator, cst.Not):
        return not value
    return UNKNOWN


def _sequence(expr: cst.Tuple | cst.List, model: ModuleModel, scope: Scope, imported: Optional[Imported],
              depth: int) -> Any:
    values = []
    for element in expr.elements:
        if isinstance(element, cst.StarredElement):
            return UNKNOWN
        value = fold(element.value, model, scope, imported, depth)
        if value is UNKNOWN:
            return UNKNOWN
        values.append(value)
    return tuple(values)


def _dict(expr: cst.Dict, model: ModuleModel, scope: Scope, imported: Optional[Imported], depth: int) -> Any:
    """A dict display with constant keys and values (Django's `AUTH_PASSWORD_VALIDATORS` entries)."""
    values = {}
    for element in expr.elements:
        if not isinstance(element, cst.DictElement):
            return UNKNOWN
        key = fold(element.key, model, scope, imported, depth)
        value = fold(element.value, model, scope, imported, depth)
        if key is UNKNOWN or value is UNKNOWN:
            return UNKNOWN
        values[key] = value
    return values


def _subscript(expr: cst.Subscript, model: ModuleModel, scope: Scope, imported: Optional[Imported], depth: int) -> Any:
    """`SCHEMES["default"]`, `ROUNDS[0]`: one item of a constant mapping or sequence."""
    if len(expr.slice) != 1 or not isinstance(expr.slice[0].slice, cst.Index):
        return UNKNOWN
    container = fold(expr.value, model, scope, imported, depth)
    key = fold(expr.slice[0].slice.value, model, scope, imported, depth)
    if isinstance(container, dict) and key in container:
        return container[key]
    if isinstance(container, tuple) and isinstance(key, int) and -len(container) <= key < len(container):
        return container[key]
    return UNKNOWN


def _name(expr: cst.Name, model: ModuleModel, scope: Scope, imported: Optional[Imported], depth: int) -> Any:
    if expr.value in _NAMED:
        return _NAMED[expr.value]
    owner = scope.lookup(expr.value)
    if owner is None or (owner.kind == "module" and expr.value in model.imports):
        return imported(model.imports[expr.value], depth) if imported and expr.value in model.imports else UNKNOWN
    return assigned_value(owner, expr.value, model, imported, depth)


def _attribute(expr: cst.Attribute, model: ModuleModel, scope: Scope, imported: Optional[Imported], depth: int) -> Any:
    """`self.X` and `cls.X` read a constant assigned once in the enclosing class body, or else
    once in all of its methods (`self._salt = b"..."` in `__init__`); other attributes, a
    constant of the module or class they name."""
    if not (isinstance(expr.value, cst.Name) and expr.value.value in ("self", "cls")):
        named = class_named(expr.value.value, scope) if isinstance(expr.value, cst.Name) else None
        if named is not None:
            return assigned_value(named, expr.attr.value, model, imported, depth)
        qualified = model.qualified_name(expr, scope) if imported else None
        return imported(qualified, depth) if imported and qualified else UNKNOWN
    owner: Optional[Scope] = scope
    while owner is not None and owner.kind != "class":
        owner = owner.parent
    if owner is None:
        return UNKNOWN
    if expr.attr.value in owner.assignments:
        return assigned_value(owner, expr.attr.value, model, imported, depth)
    set_by_methods = owner.attributes.get(expr.attr.value, [])
    if len(set_by_methods) != 1:
        return UNKNOWN
    value, method = set_by_methods[0]
    return fold(value, model, method, imported, depth + 1)


def class_named(name: str, scope: Scope) -> Optional[Scope]:
    """The class a bare name refers to where it is defined in this module (`Restriction.PASSWORD`)."""
    owner: Optional[Scope] = scope
    while owner is not None:
        child = owner.children.get(name)
        if child is not None or name in owner.assignments or name in owner.opaque:
            return child if child is not None and child.kind == "class" else None
        owner = owner.parent
    return None


def assigned_value(owner: Scope, name: str, model: ModuleModel, imported: Optional[Imported] = None,
                   depth: int = 0) -> Any:
    """The value of a name assigned once in `owner`, folded there."""
    values = owner.assignments.get(name, [])
    if len(values) != 1 or name in owner.opaque or name in owner.params:
        return UNKNOWN
    return fold(values[0], model, owner, imported, depth)


_FOLDERS: dict[str, Callable[[Any, ModuleModel, Scope, Optional[Imported], int], Any]] = {  # by libcst node class name
    "Integer": _integer,
    "Float": _float,
    "SimpleString": _string,
    "ConcatenatedString": _concatenated,
    "BinaryOperation": _binary,
    "UnaryOperation": _unary,
    "Tuple": _sequence,
    "List": _sequence,
    "Dict": _dict,
    "Subscript": _subscript,
    "Name": _name,
    "Attribute": _attribute,
}
