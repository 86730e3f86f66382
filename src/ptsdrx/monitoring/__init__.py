"""Monitoring: trajectories, response, remission, relapse, suggestions, dosing sessions.

Public API::

    trajectory(record, "pcl5", since=None, site=None) -> Trajectory
    suggest(record, sessions, instrument="pcl5", as_of=None, site=None) -> FollowUpSuggestions
    relapse_table(pairs) / relapse_table_from_patients(...) / relapse_table_from_wide(...)
    relapse_survival(table) -> RelapseSurvival (Kaplan–Meier per treatment, log-rank, Cox)
    DosingSession, Dose, SessionVitals, SessionAdverseEvent, Phase
    session_alerts(session, site=None) -> tuple[Alert, ...]
    missing_required_readings(session, site=None) -> tuple[MissingReading, ...]
    close_session(session, end, site=None) / review_session(session, site=None)
    plot_timeline(trajectory, sessions, path)

Rules and thresholds are data (``data/followup.yaml``, ``data/session_rules.yaml``) with
sources from ``shared/clinical/FACTS.md``; a site overrides them by rule id.
"""

from ptsdrx.monitoring._alerts import (
    Alert,
    MissingReading,
    SessionIncompleteError,
    SessionReview,
    close_session,
    missing_required_readings,
    review_session,
    session_alerts,
)
from ptsdrx.monitoring._config import (
    ConfigError,
    FollowupRules,
    SessionRules,
    SiteSpec,
    load_followup_rules,
    load_session_rules,
)
from ptsdrx.monitoring._plot import plot_timeline
from ptsdrx.monitoring._points import RelapseEvent, TrajectoryPoint
from ptsdrx.monitoring._sessions import (
    Dose,
    DoseRoute,
    DosingSession,
    Phase,
    SessionAdverseEvent,
    SessionVitals,
)
from ptsdrx.monitoring._suggestions import FollowUpSuggestions, Suggestion, suggest
from ptsdrx.monitoring._survival import (
    Course,
    HazardRatio,
    RelapseReport,
    RelapseSurvival,
    TreatmentRelapses,
    relapse_survival,
    relapse_table,
    relapse_table_from_patients,
    relapse_table_from_wide,
)
from ptsdrx.monitoring._trajectory import Trajectory, trajectory

__all__ = [
    "Alert",
    "ConfigError",
    "Course",
    "Dose",
    "DoseRoute",
    "DosingSession",
    "FollowUpSuggestions",
    "FollowupRules",
    "HazardRatio",
    "MissingReading",
    "Phase",
    "RelapseEvent",
    "RelapseReport",
    "RelapseSurvival",
    "SessionAdverseEvent",
    "SessionIncompleteError",
    "SessionReview",
    "SessionRules",
    "SessionVitals",
    "SiteSpec",
    "Suggestion",
    "Trajectory",
    "TrajectoryPoint",
    "TreatmentRelapses",
    "close_session",
    "load_followup_rules",
    "load_session_rules",
    "missing_required_readings",
    "plot_timeline",
    "relapse_survival",
    "relapse_table",
    "relapse_table_from_patients",
    "relapse_table_from_wide",
    "review_session",
    "session_alerts",
    "suggest",
    "trajectory",
]
