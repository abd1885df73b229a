"""Whether and how a member can be reached now, for admins."""
