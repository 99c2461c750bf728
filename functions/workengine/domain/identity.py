"""Who is calling: taken from verified JWT claims only, never from the request itself."""

from __future__ import annotations

from dataclasses import dataclass

from workengine.domain.enums import Role
from workengine.domain.errors import ForbiddenError


@dataclass(frozen=True)
class Identity:
    tenant_id: str
    user_id: str
    role: Role

    def require(self, role: Role) -> None:
        """Raises ForbiddenError when the caller's role is below ``role``."""
        if not self.role.at_least(role):
            raise ForbiddenError(
                f"this action needs the {role.value} role",
                {"required_role": role.value, "role": self.role.value},
            )
