"""Every table, imported in one place so Alembic and the test schema see all of them."""

from practice_api.access.models import AuthSession, RefreshToken
from practice_api.client_requests.models import (
    ClientRequest,
    ClientRequestAnswer,
    ClientRequestRecipient,
)
from practice_api.client_requests.template_models import ClientRequestTemplate
from practice_api.contacts.models import (
    Contact,
    ContactGroup,
    ContactGroupMember,
    ContactSecret,
    EntityContact,
)
from practice_api.core.models import IdempotencyRecord, RateCounter
from practice_api.db import Base
from practice_api.discussions.models import (
    Discussion,
    DiscussionAttachment,
    DiscussionComment,
    DiscussionGroup,
)
from practice_api.entities.models import Entity
from practice_api.events.models import Delivery, Event
from practice_api.file_requests.models import (
    FileRequest,
    FileRequestItem,
    FileRequestRecipient,
    FileRequestUpload,
)
from practice_api.files.models import FileDocument, StoredFile
from practice_api.firms.models import Firm
from practice_api.notifications.models import Notification, NotificationPreference
from practice_api.offices.models import Office
from practice_api.owners.models import Owner
from practice_api.reminders.models import (
    ReminderDefaults,
    ReminderDigest,
    ReminderRecipient,
    ReminderSchedule,
    ReminderSlot,
)
from practice_api.shares.models import Share
from practice_api.tasks.models import (
    Task,
    TaskInput,
    TaskInputFile,
    TaskOutput,
    TaskOutputReadMark,
    TaskSubscription,
    TaskType,
)
from practice_api.users.models import User
from practice_api.webhooks.models import WebhookEndpoint

__all__ = [
    "AuthSession",
    "Base",
    "ClientRequest",
    "ClientRequestAnswer",
    "ClientRequestRecipient",
    "ClientRequestTemplate",
    "Contact",
    "ContactGroup",
    "ContactGroupMember",
    "ContactSecret",
    "Delivery",
    "Discussion",
    "DiscussionAttachment",
    "DiscussionComment",
    "DiscussionGroup",
    "Entity",
    "EntityContact",
    "Event",
    "FileDocument",
    "FileRequest",
    "FileRequestItem",
    "FileRequestRecipient",
    "FileRequestUpload",
    "Firm",
    "IdempotencyRecord",
    "Notification",
    "NotificationPreference",
    "Office",
    "Owner",
    "RateCounter",
    "RefreshToken",
    "ReminderDefaults",
    "ReminderDigest",
    "ReminderRecipient",
    "ReminderSchedule",
    "ReminderSlot",
    "Share",
    "StoredFile",
    "Task",
    "TaskInput",
    "TaskInputFile",
    "TaskOutput",
    "TaskOutputReadMark",
    "TaskSubscription",
    "TaskType",
    "User",
    "WebhookEndpoint",
]
