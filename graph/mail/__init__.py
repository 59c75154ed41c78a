"""Delivering emails (R-MAIL-2): the sender protocol and the senders Relate ships.

`RecordingSender` (the default) records an email as sent and nothing else, so delivery is
one database transaction and happens exactly once. `SmtpSender` hands the message to an
SMTP server; what can and cannot be promised then is in `server/scheduler.py`.
"""

from graph.mail.message import OutgoingEmail
from graph.mail.senders import RecordingSender, Sender, SmtpSender, SmtpSettings

__all__ = ["OutgoingEmail", "RecordingSender", "Sender", "SmtpSender", "SmtpSettings"]
