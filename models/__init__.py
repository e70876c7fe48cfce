"""SQLModel tables and the data models the API takes and returns.

Importing this package registers every table on ``SQLModel.metadata``.
"""

from models.attachment import Attachment
from models.calendar import ClosureDay
from models.case import CaseFile
from models.catalogue import MasterDataChange
from models.comment import Comment
from models.company import CompanyProfile
from models.complaint import Complaint, ReferenceCounter
from models.customer import Customer
from models.deadline import Deadline, DeadlinePolicyRow
from models.heartbeat import RelayHeartbeat
from models.history import HistoryEntry
from models.idempotency import IdempotencyRecord
from models.mail import CustomerMessage, InboundMail
from models.notification import Notification
from models.outbox import OutboxEvent
from models.personal import PersonalValue
from models.quality import (
    CapaAction,
    CauseCode,
    ComplaintLink,
    DefectCode,
    EffectivenessCheck,
    Product,
    RecurrenceAlert,
)
from models.recurrence import RecurrenceRuleRow
from models.resolution import Resolution
from models.review import (
    Contract,
    ContractComplaint,
    ContractVersion,
    Delivery,
    Review,
    ReviewAnswer,
    ReviewMeeting,
)
from models.satisfaction import SatisfactionResponse
from models.task import Task
from models.user import User, WebSession
from models.user_admin import PasswordResetToken, UserChange

__all__ = [
    "Attachment",
    "CapaAction",
    "CaseFile",
    "CauseCode",
    "ClosureDay",
    "Comment",
    "CompanyProfile",
    "Complaint",
    "ComplaintLink",
    "Contract",
    "ContractComplaint",
    "ContractVersion",
    "Customer",
    "CustomerMessage",
    "Deadline",
    "DeadlinePolicyRow",
    "DefectCode",
    "Delivery",
    "EffectivenessCheck",
    "HistoryEntry",
    "IdempotencyRecord",
    "InboundMail",
    "MasterDataChange",
    "Notification",
    "OutboxEvent",
    "PasswordResetToken",
    "PersonalValue",
    "Product",
    "RecurrenceAlert",
    "RecurrenceRuleRow",
    "ReferenceCounter",
    "RelayHeartbeat",
    "Resolution",
    "Review",
    "ReviewAnswer",
    "ReviewMeeting",
    "SatisfactionResponse",
    "Task",
    "User",
    "UserChange",
    "WebSession",
]
