"""MessagingSQSQueue: SMS/LMS/Alimtalk send batches, from the API to the messaging worker."""

from apps.core.queues import SQSQueue
from apps.shared.contracts import SendMessagesMessage


class MessagingSQSQueue(SQSQueue):
    key = "messaging"
    message_type = SendMessagesMessage
