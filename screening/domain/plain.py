"""Conditions in plain words, for clinicians: written from the parsed condition tree, never from the rule text.

`describe(condition, questionnaire)` turns `toxin and has_any(allergy_types, "human_albumin")` into
'anti-wrinkle injections (toxin) are asked for and, to "What are you allergic to?", "Human albumin ..." is ticked'.
Questions are named by their wording and options by their labels, as the patient saw them.
"""

from __future__ import annotations

from .conditions import And, Call, Compare, In, Int, Name, Not, Null, Or, Str
from .questionnaire import Questionnaire

_DERIVED_WORDS = {
    "toxin": "anti-wrinkle injections (toxin) are asked for",
    "filler": "dermal filler is asked for",
}
_NOT_DERIVED_WORDS = {
    "toxin": "anti-wrinkle injections (toxin) are not asked for",
    "filler": "dermal filler is not asked for",
}
_AGE_WORDS = {
    "<": "the patient is under {n}",
    "<=": "the patient is {n} or under",
    ">": "the patient is over {n}",
    ">=": "the patient is {n} or over",
    "==": "the patient is exactly {n}",
    "!=": "the patient is not {n}",
}
_NUMBER_WORDS = {"<": "fewer than", "<=": "at most", ">": "more than", ">=": "at least", "==": "exactly", "!=": "not"}


def describe(tree, questionnaire: Questionnaire) -> str:
    """The condition tree in words, as one sentence without a final full stop."""
    return _Words(questionnaire).render(tree, top=True)


class _Words:
    def __init__(self, questionnaire: Questionnaire):
        self.questions = questionnaire.by_id

    def question(self, qid: str) -> str:
        question = self.questions.get(qid)
        if question is None:
            return qid
        text = question.text.removesuffix(" Tick all that apply.")
        return f"\u201c{text}\u201d"

    def label(self, qid: str, option: str) -> str:
        question = self.questions.get(qid)
        return f"\u201c{question.label_of(option) if question else option}\u201d"

    def labels(self, qid: str, options, joiner: str) -> str:
        words = [self.label(qid, option) for option in options]
        return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {joiner} " + words[-1]

    def render(self, node, top: bool = False, inside_or: bool = False) -> str:
        if isinstance(node, And):
            text = " and ".join(self.render(item) for item in node.items)
            return f"({text})" if inside_or else text
        if isinstance(node, Or):
            text = " or ".join(self.render(item, inside_or=True) for item in node.items)
            return text if top else f"either {text}"
        if isinstance(node, Not):
            inner = node.item
            if isinstance(inner, Name) and inner.name in _NOT_DERIVED_WORDS:
                return _NOT_DERIVED_WORDS[inner.name]
            return f"it is not so that {self.render(inner, top=True)}"
        if isinstance(node, Name):
            if node.name in _DERIVED_WORDS:
                return _DERIVED_WORDS[node.name]
            return f"{self.question(node.name)} is answered"
        if isinstance(node, In):
            qid = node.left.name
            return f"the answer to {self.question(qid)} is {self.labels(qid, [v.value for v in node.values], 'or')}"
        if isinstance(node, Call) and node.function in ("has_any", "has_any_except"):
            qid = node.args[0].name
            options = [arg.value for arg in node.args[1:]]
            if node.function == "has_any":
                return f"{self.labels(qid, options, 'or')} is ticked in answer to {self.question(qid)}"
            return f"something other than {self.labels(qid, options, 'or')} is ticked in answer to {self.question(qid)}"
        if isinstance(node, Compare):
            return self.compare(node)
        return self.value(node)

    def compare(self, node: Compare) -> str:
        left, right, op = node.left, node.right, node.op
        if isinstance(left, Null) and not isinstance(right, Null):
            left, right = right, left
        if isinstance(right, Null) and isinstance(left, Name):
            if op == "!=":
                return f"{self.question(left.name)} was answered"
            return f"{self.question(left.name)} was not answered (or not asked)"
        if isinstance(left, Name) and isinstance(right, Str):
            if op == "==":
                return f"the answer to {self.question(left.name)} is {self.label(left.name, right.value)}"
            return (
                f"the answer to {self.question(left.name)} is not {self.label(left.name, right.value)}"
                " (or the question was not asked)"
            )
        if isinstance(left, Name) and left.name == "age_years" and isinstance(right, Int):
            return _AGE_WORDS[op].format(n=right.value)
        if isinstance(left, Call) and left.function == "days_between" and isinstance(right, Int):
            start, end = (self.value(arg) for arg in left.args)
            return f"{_NUMBER_WORDS[op]} {right.value} days have passed from {start} to {end}"
        return f"{self.value(left)} {_NUMBER_WORDS.get(op, op)} {self.value(right)}"

    def value(self, node) -> str:
        if isinstance(node, Name):
            if node.name == "screening_date":
                return "the screening date"
            if node.name == "age_years":
                return "the patient's age in years"
            if node.name in _DERIVED_WORDS:
                return _DERIVED_WORDS[node.name]
            question = self.questions.get(node.name)
            if question is not None and question.type == "date":
                return f"the date given for {self.question(node.name)}"
            return f"the answer to {self.question(node.name)}"
        if isinstance(node, Int):
            return str(node.value)
        if isinstance(node, Str):
            return f"\u201c{node.value}\u201d"
        if isinstance(node, Null):
            return "no answer"
        if isinstance(node, Call) and node.function == "days_between":
            start, end = (self.value(arg) for arg in node.args)
            return f"the number of days from {start} to {end}"
        return self.render(node)
