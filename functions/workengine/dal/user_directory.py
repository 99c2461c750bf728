"""Where a user's email address comes from when their preferences name none."""

from __future__ import annotations

from typing import Any, Protocol


class UserDirectory(Protocol):
    def email_of(self, user_id: str) -> str | None: ...


class NoDirectory:
    """Locally (and in tests): addresses come from preferences only."""

    def email_of(self, user_id: str) -> str | None:
        return None


class CognitoDirectory:
    """The Cognito user pool: the ``email`` attribute of the user whose ``sub`` is the user ID (the JWT's
    ``sub`` claim), found with one ``ListUsers`` filtered on ``sub``. An unknown user has no address."""

    def __init__(self, client: Any, user_pool_id: str) -> None:
        self._client = client
        self._pool = user_pool_id

    def email_of(self, user_id: str) -> str | None:
        if '"' in user_id or "\\" in user_id:
            return None
        # Errors propagate: the notifier has claimed nothing yet, so the redelivered event tries again.
        response = self._client.list_users(UserPoolId=self._pool, Filter=f'sub = "{user_id}"', Limit=1)
        for user in response.get("Users", []):
            for attribute in user.get("Attributes", []):
                if attribute.get("Name") == "email" and attribute.get("Value"):
                    return str(attribute["Value"])
        return None
