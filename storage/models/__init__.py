"""SQLModel tables: the system of record, one module per kind (#18) and the core's own (`core`).

Every table is importable from here (`from storage.models import Report`), as the migrations and the code
always did; a new kind adds its module and one import line below.
"""

from storage.models.checks import CheckFinding, CheckTask  # noqa: F401
from storage.models.core import (  # noqa: F401
    AuditEvent,
    JobRun,
    OutboxMessage,
    ProcessedEvent,
    SeenRequest,
    Sequence,
    SlackMessage,
    Timer,
    UserPref,
    UTCDateTime,
    ts_column,
)
from storage.models.drills import Drill, DrillAttendance  # noqa: F401
from storage.models.indicators import MonthlyFigure, SlackFile  # noqa: F401
from storage.models.rectification import RectItem, Risk  # noqa: F401
from storage.models.reports import OPEN_SQL, CorrectiveAction, PlanReview, Report, report_is_open  # noqa: F401
from storage.models.risks import RiskAnswer, RiskRound  # noqa: F401
from storage.models.training import (  # noqa: F401
    SafetyNote,
    StarNomination,
    StarPick,
    TeamMember,
    TrainingAttendance,
    TrainingRoster,
    TrainingSession,
    TrainingTest,
    TrainingTopic,
)
from storage.models.voice import Suggestion, Violation  # noqa: F401
