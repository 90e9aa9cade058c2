from .colours import (
    COLOURS,
    SEVERITY,
    CitizenColour,
    Colour,
    ColourTransition,
    RecolourDecision,
    RecolourScratch,
    Region,
)
from .evidence import (
    CASE_KINDS,
    CaseKind,
    CaseListImport,
    CaseListRow,
    CaseRecord,
    Declaration,
    RiskArea,
    Symptom,
    TestResult,
    TravelRecord,
    Vaccination,
)
from .review import EPIDEMIC_REASONS, Alert, Appeal, EpidemicReason, ManualChange, PurposeKey  # noqa: F401 (health_code)
from .rules import RuleSetVersion

__all__ = [
    "CASE_KINDS",
    "COLOURS",
    "SEVERITY",
    "CaseKind",
    "CaseListImport",
    "CaseListRow",
    "CaseRecord",
    "CitizenColour",
    "Colour",
    "ColourTransition",
    "Declaration",
    "RecolourDecision",
    "RecolourScratch",
    "Region",
    "RiskArea",
    "RuleSetVersion",
    "Symptom",
    "TestResult",
    "TravelRecord",
    "Vaccination",
]
