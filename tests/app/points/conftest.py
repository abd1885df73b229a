"""The ``branch`` fixture: bound members chatting with the account, and an admin."""

from tests.support.red_points import branch

__all__ = ["branch"]
