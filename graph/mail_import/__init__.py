"""Reading real message files for tracking (R-TRACK-1): `.eml` emails and `.ics` meetings.

Standard library only: `email` (RFC 5322/2045–2047/2231) for messages, a small RFC 5545
reader for calendars (unfolding, parameters, VTIMEZONE rules). Parsing knows nothing of
the database; `graph/commands/mail_import.py` turns the results into tracked items.
"""

from graph.mail_import.eml import parse_eml
from graph.mail_import.ics import organizers, parse_ics
from graph.mail_import.parsed import MailFormatError, ParsedEmail, ParsedFile, ParsedMeeting, detect_kind

__all__ = ["MailFormatError", "ParsedEmail", "ParsedFile", "ParsedMeeting", "detect_kind", "organizers", "parse_eml",
           "parse_ics"]
