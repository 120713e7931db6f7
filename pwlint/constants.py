"""Fold constant expressions, so rules compare values rather than spellings.

`ITERATIONS = 1_000`, `2**10`, `1 << 14`, `"pbkdf2:" + "sha1"`, a name assigned once in the
function or module, and `self.rounds` set once in the class body all fold to plain Python values.
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


def fold(expr: Optional[cst.BaseExpression], model: ModuleModel, scope: Scope, _depth: int = 0) -> Any:
    """The constant value of `expr`, or UNKNOWN."""
    if expr is None or _depth > 30:
        return UNKNOWN
    folder = _FOLDERS.get(type(expr).__name__)
    if folder is None:
        return UNKNOWN
    try:
        return folder(expr, model, scope, _depth + 1)
    except (ArithmeticError, TypeError, ValueError, OverflowError):
        return UNKNOWN


def _integer(expr: cst.Integer, model: ModuleModel, scope: Scope, depth: int) -> Any:
    return int(expr.value.replace("_", ""), 0)


def _float(expr: cst.Float, model: ModuleModel, scope: Scope, depth: int) -> Any:
    return float(expr.value.replace("_", ""))


def _string(expr: cst.SimpleString, model: ModuleModel, scope: Scope, depth: int) -> Any:
    return expr.evaluated_value


def _concatenated(expr: cst.ConcatenatedString, model: ModuleModel, scope: Scope, depth: int) -> Any:
    left = fold(expr.left, model, scope, depth)
    right = fold(expr.right, model, scope, depth)
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    return left + right


def _binary(expr: cst.BinaryOperation, model: ModuleModel, scope: Scope, depth: int) -> Any:
    op = _BINARY.get(type(expr.operator).__name__)
    left = fold(expr.left, model, scope, depth)
    right = fold(expr.right, model, scope, depth)
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


def _unary(expr: cst.UnaryOperation, model: ModuleModel, scope: Scope, depth: int) -> Any:
    value = fold(expr.expression, model, scope, depth)
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(expr.operator, cst.Minus):
        return -value
    if isinstance(expr.operator, cst.Plus):
        return +value
    if isinstance(expr.operator, cst.Not):
        return not value
    return UNKNOWN


def _sequence(expr: cst.Tuple | cst.List, model: ModuleModel, scope: Scope, depth: int) -> Any:
    values = []
    for element in expr.elements:
        if isinstance(element, cst.StarredElement):
            return UNKNOWN
        value = fold(element.value, model, scope, depth)
        if value is UNKNOWN:
            return UNKNOWN
        values.append(value)
    return tuple(values)


def _dict(expr: cst.Dict, model: ModuleModel, scope: Scope, depth: int) -> Any:
    """A dict display with constant keys and values (Django's `AUTH_PASSWORD_VALIDATORS` entries)."""
    values = {}
    for element in expr.elements:
        if not isinstance(element, cst.DictElement):
            return UNKNOWN
        key, value = fold(element.key, model, scope, depth), fold(element.value, model, scope, depth)
        if key is UNKNOWN or value is UNKNOWN:
            return UNKNOWN
        values[key] = value
    return values


def _name(expr: cst.Name, model: ModuleModel, scope: Scope, depth: int) -> Any:
    if expr.value in _NAMED:
        return _NAMED[expr.value]
    owner = scope.lookup(expr.value)
    if owner is None:
        return UNKNOWN
    return _single_value(owner, expr.value, model, depth)


def _attribute(expr: cst.Attribute, model: ModuleModel, scope: Scope, depth: int) -> Any:
    """`self.X` and `cls.X` read a constant assigned once in the enclosing class body."""
    if not (isinstance(expr.value, cst.Name) and expr.value.value in ("self", "cls")):
        return UNKNOWN
    owner: Optional[Scope] = scope
    while owner is not None and owner.kind != "class":
        owner = owner.parent
    if owner is None or expr.attr.value not in owner.assignments:
        return UNKNOWN
    return _single_value(owner, expr.attr.value, model, depth)


def _single_value(owner: Scope, name: str, model: ModuleModel, depth: int) -> Any:
    values = owner.assignments.get(name, [])
    if len(values) != 1 or name in owner.opaque or name in owner.params:
        return UNKNOWN
    return fold(values[0], model, owner, depth)


_FOLDERS: dict[str, Callable[[Any, ModuleModel, Scope, int], Any]] = {  # by libcst node class name
    "Integer": _integer,
    "Float": _float,
    "SimpleString": _string,
    "ConcatenatedString": _concatenated,
    "BinaryOperation": _binary,
    "UnaryOperation": _unary,
    "Tuple": _sequence,
    "List": _sequence,
    "Dict": _dict,
    "Name": _name,
    "Attribute": _attribute,
}
