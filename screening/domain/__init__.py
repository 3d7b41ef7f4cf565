"""The clinical core: questionnaire, condition language, rules and their evaluation. Standard library only."""

from .conditions import ConditionError
from .loading import RulesError, load_ruleset
from .questionnaire import AnswerError, Answers, InvalidAnswers, Question, Questionnaire, Section
from .rules import (
    BOOKABLE,
    LEVELS,
    SEVERITY,
    TREATMENT_NAMES,
    TREATMENT_SHORT_NAMES,
    TREATMENTS,
    Evaluation,
    FiredRule,
    Rule,
    RuleSet,
    evaluate_screening,
)

__all__ = [
    "BOOKABLE",
    "LEVELS",
    "SEVERITY",
    "TREATMENTS",
    "TREATMENT_NAMES",
    "TREATMENT_SHORT_NAMES",
    "AnswerError",
    "Answers",
    "ConditionError",
    "Evaluation",
    "FiredRule",
    "InvalidAnswers",
    "Question",
    "Questionnaire",
    "Rule",
    "RuleSet",
    "RulesError",
    "Section",
    "evaluate_screening",
    "load_ruleset",
]
