"""The condition language of the questionnaire and the rules, parsed into a safe representation.

Rule text is data written by a clinic. It is tokenised, parsed into an AST, type-checked against the questionnaire
(every question and option id must exist) and compiled into plain Python closures. Nothing is ever passed to eval or
exec, so a rules file can say only what this grammar allows:

    expr       := or_expr
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | comparison
    comparison := operand (("==" | "!=" | "<" | "<=" | ">" | ">=") operand | "in" "[" STRING ("," STRING)* "]")?
    operand    := NAME | STRING | INTEGER | "null" | NAME "(" [operand ("," operand)*] ")" | "(" expr ")"

Null semantics follow the specification (section 1.3): a hidden or unanswered question is null; ==, in, has_any and
has_any_except are false for null; != is true for null; an ordering comparison with null is false.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

Env = Mapping[str, Any]
Predicate = Callable[[Env], Any]


class ConditionError(ValueError):
    """A condition that cannot be parsed or does not fit the questionnaire."""

    def __init__(self, message: str, column: int | None = None):
        self.column = column
        super().__init__(message if column is None else f"{message} (at column {column})")


# --------------------------------------------------------------------------------------------------------------------
# Tokens

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>"[^"\\]*")
  | (?P<integer>\d+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
    """,
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "null"}


@dataclass(frozen=True)
class Token:
    kind: str  # "string" | "integer" | "name" | "keyword" | "op" | "end"
    text: str
    column: int  # 1-based, for messages


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            bad = text[pos]
            hint = " (strings use double quotes)" if bad == "'" else ""
            raise ConditionError(f"unexpected character {bad!r}{hint}", pos + 1)
        kind = match.lastgroup
        if kind != "space":
            value = match.group()
            if kind == "name" and value in _KEYWORDS:
                kind = "keyword"
            tokens.append(Token(kind, value, pos + 1))
        pos = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


# --------------------------------------------------------------------------------------------------------------------
# Syntax tree


@dataclass(frozen=True)
class Name:
    name: str
    column: int


@dataclass(frozen=True)
class Str:
    value: str
    column: int


@dataclass(frozen=True)
class Int:
    value: int
    column: int


@dataclass(frozen=True)
class Null:
    column: int


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple
    column: int


@dataclass(frozen=True)
class Compare:
    op: str
    left: Any
    right: Any
    column: int


@dataclass(frozen=True)
class In:
    left: Any
    values: tuple  # of Str
    column: int


@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


@dataclass(frozen=True)
class Not:
    item: Any


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.pos = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def accept(self, text: str) -> bool:
        if self.current.text == text and self.current.kind in ("op", "keyword"):
            self.pos += 1
            return True
        return False

    def expect(self, text: str) -> Token:
        if not (self.current.text == text and self.current.kind in ("op", "keyword")):
            raise ConditionError(f"expected {text!r} but found {self._describe(self.current)}", self.current.column)
        return self.take()

    @staticmethod
    def _describe(token: Token) -> str:
        return "the end of the condition" if token.kind == "end" else repr(token.text)

    def parse(self):
        if self.current.kind == "end":
            raise ConditionError("the condition is empty")
        node = self.or_expr()
        if self.current.kind != "end":
            raise ConditionError(f"unexpected {self._describe(self.current)}", self.current.column)
        return node

    def or_expr(self):
        items = [self.and_expr()]
        while self.accept("or"):
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self):
        items = [self.not_expr()]
        while self.accept("and"):
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_expr(self):
        if self.accept("not"):
            return Not(self.not_expr())
        return self.comparison()

    def comparison(self):
        left = self.operand()
        token = self.current
        if token.kind == "op" and token.text in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            return Compare(token.text, left, self.operand(), token.column)
        if token.kind == "keyword" and token.text == "in":
            self.take()
            self.expect("[")
            values = [self.string()]
            while self.accept(","):
                values.append(self.string())
            self.expect("]")
            return In(left, tuple(values), token.column)
        return left

    def string(self) -> Str:
        token = self.take()
        if token.kind != "string":
            raise ConditionError(f"expected a quoted option id but found {self._describe(token)}", token.column)
        return Str(token.text[1:-1], token.column)

    def operand(self):
        token = self.take()
        if token.kind == "string":
            return Str(token.text[1:-1], token.column)
        if token.kind == "integer":
            return Int(int(token.text), token.column)
        if token.kind == "keyword" and token.text == "null":
            return Null(token.column)
        if token.kind == "name":
            if self.accept("("):
                args = []
                if not self.accept(")"):
                    args.append(self.operand())
                    while self.accept(","):
                        args.append(self.operand())
                    self.expect(")")
                return Call(token.text, tuple(args), token.column)
            return Name(token.text, token.column)
        if token.kind == "op" and token.text == "(":
            node = self.or_expr()
            self.expect(")")
            return node
        raise ConditionError(f"expected a name, a value or '(' but found {self._describe(token)}", token.column)


def parse(text: str):
    """Parse condition text into an AST; raise ConditionError on a syntax error."""
    return _Parser(text).parse()


# --------------------------------------------------------------------------------------------------------------------
# Types, checked against the questionnaire when the rules load

# What a name can stand for, as seen by the checker:
#   ("choice", question)  single or yes_no answer: an option id or null
#   ("multi", question)   multi-choice answer: a frozenset of option ids or null
#   ("date", question)    a date or null
#   ("text", question)    free text: never allowed in a condition
#   ("bool",) ("int",) ("date",) for derived values, ("null",) for the null literal, ("str",) for a string literal

DERIVED = {
    "toxin": ("bool",),
    "filler": ("bool",),
    "age_years": ("int",),
    "screening_date": ("date",),
}
# The questions each derived value is computed from (for "shown when" ordering and for highlighting answers).
DERIVED_FROM = {
    "toxin": ("treatment_requested",),
    "filler": ("treatment_requested",),
    "age_years": ("date_of_birth",),
    "screening_date": (),
}


@dataclass(frozen=True)
class QuestionShape:
    """What the checker needs to know about a question."""

    id: str
    type: str  # date | single | yes_no | multi | text
    options: tuple[str, ...]


@dataclass(frozen=True)
class Condition:
    """A checked, compiled condition."""

    text: str
    tree: Any
    names: frozenset[str]  # question ids and derived names it reads
    test: Predicate  # env -> truthy

    def __call__(self, env: Env) -> bool:
        return bool(self.test(env))


def compile_condition(text: str, questions: Mapping[str, QuestionShape]) -> Condition:
    """Parse, check and compile a condition against the given questions."""
    tree = parse(text)
    compiler = _Compiler(questions)
    kind, test = compiler.compile(tree)
    if kind != ("bool",):
        raise ConditionError(f"the condition must be true or false, but it is {_kind_name(kind)}")
    return Condition(text, tree, frozenset(compiler.names), test)


def _kind_name(kind: tuple) -> str:
    return {
        "choice": "a single answer",
        "multi": "a list of ticked options",
        "date": "a date",
        "text": "free text",
        "bool": "true or false",
        "int": "a number",
        "null": "null",
        "str": "a string",
    }[kind[0]]


def _option_check(question: QuestionShape, literal: Str) -> None:
    if literal.value not in question.options:
        raise ConditionError(
            f"question '{question.id}' has no option \"{literal.value}\" (its options: {', '.join(question.options)})",
            literal.column,
        )


def days_between(a: date | None, b: date | None) -> int | None:
    """Calendar days from a to b (b - a); null if either is null."""
    if a is None or b is None:
        return None
    return (b - a).days


_ORDER = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class _Compiler:
    def __init__(self, questions: Mapping[str, QuestionShape]):
        self.questions = questions
        self.names: set[str] = set()

    def compile(self, node) -> tuple[tuple, Predicate]:
        method = getattr(self, "_" + type(node).__name__.lower())
        return method(node)

    # -- leaves

    def _name(self, node: Name):
        self.names.add(node.name)
        if node.name in DERIVED:
            kind = DERIVED[node.name]
        elif node.name in self.questions:
            question = self.questions[node.name]
            if question.type == "text":
                raise ConditionError(
                    f"'{node.name}' is a free-text question; free-text answers never trigger rules", node.column
                )
            kind = {"single": "choice", "yes_no": "choice", "multi": "multi", "date": "date"}[question.type]
            kind = (kind, question)
        else:
            raise ConditionError(f"unknown question '{node.name}'", node.column)
        name = node.name
        return kind, lambda env: env.get(name)

    def _str(self, node: Str):
        value = node.value
        return ("str",), lambda env: value

    def _int(self, node: Int):
        value = node.value
        return ("int",), lambda env: value

    def _null(self, node: Null):
        return ("null",), lambda env: None

    # -- functions

    def _call(self, node: Call):
        if node.function in ("has_any", "has_any_except"):
            return self._has_any(node)
        if node.function == "days_between":
            if len(node.args) != 2:
                raise ConditionError("days_between takes two dates", node.column)
            (ka, fa), (kb, fb) = (self.compile(arg) for arg in node.args)
            for kind, arg in ((ka, node.args[0]), (kb, node.args[1])):
                if kind[0] != "date":
                    raise ConditionError(f"days_between needs dates, not {_kind_name(kind)}", _column(arg))
            return ("int",), lambda env: days_between(fa(env), fb(env))
        raise ConditionError(
            f"unknown function '{node.function}' (known: has_any, has_any_except, days_between)", node.column
        )

    def _has_any(self, node: Call):
        if len(node.args) < 2 or not isinstance(node.args[0], Name):
            raise ConditionError(
                f"{node.function} takes a multi-choice question and one or more quoted option ids", node.column
            )
        kind, get = self.compile(node.args[0])
        if kind[0] != "multi":
            raise ConditionError(
                f"{node.function} needs a multi-choice question, but '{node.args[0].name}' is {_kind_name(kind)}",
                node.args[0].column,
            )
        options = []
        for arg in node.args[1:]:
            if not isinstance(arg, Str):
                raise ConditionError(f"{node.function} takes quoted option ids after the question", _column(arg))
            _option_check(kind[1], arg)
            options.append(arg.value)
        listed = frozenset(options)
        name = node.args[0].name
        if node.function == "has_any":
            return ("bool",), lambda env: (v := env.get(name)) is not None and not listed.isdisjoint(v)
        return ("bool",), lambda env: (v := env.get(name)) is not None and not v <= listed

    # -- operators

    def _compare(self, node: Compare):
        (kl, fl), (kr, fr) = self.compile(node.left), self.compile(node.right)
        op = node.op
        if op in ("==", "!="):
            if kl[0] == "null" and kr[0] != "null":  # allow `null != x` too
                (kl, fl), (kr, fr) = (kr, fr), (kl, fl)
                node = Compare(op, node.right, node.left, node.column)
            if kr[0] == "null":
                if kl[0] in ("bool", "str", "null"):
                    raise ConditionError(f"{_kind_name(kl)} is never null", node.column)
                return ("bool",), (lambda env: fl(env) is None) if op == "==" else (lambda env: fl(env) is not None)
            if kl[0] == "choice" and kr[0] == "str":
                _option_check(kl[1], node.right)
                value, name = node.right.value, node.left.name  # a choice is always a plain question name
                if op == "==":
                    return ("bool",), lambda env: env.get(name) == value
                return ("bool",), lambda env: env.get(name) != value
            if kl[0] == "int" and kr[0] == "int":
                if op == "==":
                    return ("bool",), lambda env: (a := fl(env)) is not None and (b := fr(env)) is not None and a == b
                return ("bool",), lambda env: (a := fl(env)) is None or (b := fr(env)) is None or a != b
            if kl[0] == "multi":
                raise ConditionError(
                    f"'{node.left.name}' is multi-choice: use has_any(...) or has_any_except(...)", node.column
                )
            raise ConditionError(f"cannot compare {_kind_name(kl)} with {_kind_name(kr)} using {op}", node.column)
        if kl[0] != "int" or kr[0] != "int":
            raise ConditionError(
                f"{op} compares numbers (age_years, days_between(...), whole numbers), "
                f"not {_kind_name(kl)} and {_kind_name(kr)}",
                node.column,
            )
        compare = _ORDER[op]
        return ("bool",), lambda env: (a := fl(env)) is not None and (b := fr(env)) is not None and compare(a, b)

    def _in(self, node: In):
        kind, get = self.compile(node.left)
        if kind[0] != "choice":
            raise ConditionError(
                f"'in' needs a single-choice or yes/no question on its left, not {_kind_name(kind)}", node.column
            )
        for literal in node.values:
            _option_check(kind[1], literal)
        values = frozenset(literal.value for literal in node.values)
        name = node.left.name
        return ("bool",), lambda env: env.get(name) in values

    def _and(self, node: And):
        tests = [self._boolean(item, "and") for item in node.items]
        if len(tests) == 2:
            a, b = tests
            return ("bool",), lambda env: a(env) and b(env)
        return ("bool",), lambda env: all(test(env) for test in tests)

    def _or(self, node: Or):
        tests = [self._boolean(item, "or") for item in node.items]
        if len(tests) == 2:
            a, b = tests
            return ("bool",), lambda env: a(env) or b(env)
        return ("bool",), lambda env: any(test(env) for test in tests)

    def _not(self, node: Not):
        test = self._boolean(node.item, "not")
        return ("bool",), lambda env: not test(env)

    def _boolean(self, node, where: str) -> Predicate:
        kind, test = self.compile(node)
        if kind == ("bool",) and isinstance(node, Name):
            name = node.name
            return lambda env: env.get(name)  # toxin, filler: one lookup instead of a nested call
        if kind != ("bool",):
            raise ConditionError(
                f"'{where}' needs true-or-false conditions, but got {_kind_name(kind)}"
                ' (compare a question with == "option" or use has_any)',
                _column(node),
            )
        return test


def _column(node) -> int | None:
    if isinstance(node, And | Or):
        return _column(node.items[0])
    if isinstance(node, Not):
        return _column(node.item)
    return getattr(node, "column", None)


# --------------------------------------------------------------------------------------------------------------------
# Tree as JSON, for the browser script that shows and hides questions live (it evaluates the same tree).


def tree_to_json(node) -> Any:
    """Return the AST as plain JSON data (a list whose first item names the node)."""
    if isinstance(node, Name):
        return ["name", node.name]
    if isinstance(node, Str):
        return ["str", node.value]
    if isinstance(node, Int):
        return ["int", node.value]
    if isinstance(node, Null):
        return ["null"]
    if isinstance(node, Call):
        return ["call", node.function, *[tree_to_json(arg) for arg in node.args]]
    if isinstance(node, Compare):
        return ["cmp", node.op, tree_to_json(node.left), tree_to_json(node.right)]
    if isinstance(node, In):
        return ["in", tree_to_json(node.left), [literal.value for literal in node.values]]
    if isinstance(node, And):
        return ["and", *[tree_to_json(item) for item in node.items]]
    if isinstance(node, Or):
        return ["or", *[tree_to_json(item) for item in node.items]]
    if isinstance(node, Not):
        return ["not", tree_to_json(node.item)]
    raise TypeError(type(node).__name__)
