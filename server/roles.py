"""What each kind of user is: a rep syncs a territory; the others use the web console."""

from __future__ import annotations

REP = "rep"
MANAGER = "manager"
MARKETING = "marketing"
ADMIN = "admin"
ROLES = (REP, MANAGER, MARKETING, ADMIN)
# The roles that sign in to the web console (server.console); a rep is told it is not for them.
CONSOLE_ROLES = (MANAGER, MARKETING, ADMIN)
# Roles that see every territory: a --territory given to them would mean nothing.
EVERY_TERRITORY = (MARKETING, ADMIN)
ROLE_CHARS = 20  # the size of app_user.role
