"""Synthetic multimodal PTSD cohorts with known ground truth, calibrated to published trials.

>>> from ptsdrx.cohort import simulate
>>> df = simulate(100, random_state=0)
>>> {"arm", "pcl5_w12", "mu_pcl5_w12__mdma_at"} <= set(df.columns)
True
"""

from ptsdrx.cohort._arms import ARMS, CONTROLS, NO_PTSD_TRIAL_DATA, TREATMENTS
from ptsdrx.cohort._calibration import (
    CalibrationReport,
    CalibrationRow,
    CalibrationTrial,
    calibration_report,
    targets,
)
from ptsdrx.cohort._config import (
    Assumption,
    CohortFileError,
    SimulationConfig,
    assumptions,
    assumptions_markdown,
    default_config,
)
from ptsdrx.cohort._plots import plot_cohort
from ptsdrx.cohort._record import row_to_record
from ptsdrx.cohort._simulate import BASELINE_COLUMNS, DESIGNS, simulate

__all__ = [
    "ARMS",
    "BASELINE_COLUMNS",
    "CONTROLS",
    "DESIGNS",
    "NO_PTSD_TRIAL_DATA",
    "TREATMENTS",
    "Assumption",
    "CalibrationReport",
    "CalibrationRow",
    "CalibrationTrial",
    "CohortFileError",
    "SimulationConfig",
    "assumptions",
    "assumptions_markdown",
    "calibration_report",
    "default_config",
    "plot_cohort",
    "row_to_record",
    "simulate",
    "targets",
]
