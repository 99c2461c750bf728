"""Amazon SES (API v2) as the engine's mailer: plain-text email from one verified sender identity."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from workengine.dal.reads import THROTTLING_CODES
from workengine.domain.reminder_email import Email

# SES answers these when it is busy or over the account's sending rate: the message was not accepted.
SES_BUSY_CODES = THROTTLING_CODES | {"TooManyRequestsException", "LimitExceededException", "Throttling"}


class MailNotSent(Exception):
    """SES refused the message. ``retryable``: it was busy (nothing was sent, try again later);
    otherwise the refusal is final (unverified sender, bad address, account paused)."""

    def __init__(self, detail: str, *, retryable: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable


class SesMailer:
    """Raises MailNotSent; returns SES's message ID."""

    def __init__(self, client: Any, sender: str) -> None:
        self._client = client
        self._sender = sender

    @property
    def sender(self) -> str:
        return self._sender

    def send(self, to: str, email: Email, *, bcc: Sequence[str] = ()) -> str:
        destination: dict[str, list[str]] = {"ToAddresses": [to]}
        if bcc:
            destination["BccAddresses"] = list(bcc)
        try:
            response = self._client.send_email(
                FromEmailAddress=self._sender,
                Destination=destination,
                Content={
                    "Simple": {
                        "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                        "Body": {"Text": {"Data": email.body, "Charset": "UTF-8"}},
                    }
                },
            )
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "ClientError"))
            message = str(exc.response.get("Error", {}).get("Message", ""))
            raise MailNotSent(f"{code}: {message}"[:500], retryable=code in SES_BUSY_CODES) from exc
        except BotoCoreError as exc:
            # Unreachable endpoint or a timeout: whether SES accepted it is unknown; never send twice.
            raise MailNotSent(type(exc).__name__, retryable=False) from exc
        return str(response.get("MessageId", ""))
