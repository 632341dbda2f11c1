"""The expert's side of a round: open a snapshot into a workspace, score, recuse, declare, finalise.

``open_snapshot(snapshot, home, passphrase)`` and ``ReviewWorkspace.load(home, passphrase)`` are
what the CLI (``qbdesk review …``) and the Step 3 GUI call; everything else hangs off the workspace.
"""

from qbdesk.services.reviewer.finalize import FinalizeRefused
from qbdesk.services.reviewer.state import WorkspaceError
from qbdesk.services.reviewer.views import (
    ApplicationProgress,
    ApplicationView,
    AttachmentView,
    Declaration,
    Edit,
    FinalizeResult,
    ItemView,
    Missing,
)
from qbdesk.services.reviewer.workspace import ReviewWorkspace, open_snapshot

__all__ = [
    "ApplicationProgress", "ApplicationView", "AttachmentView", "Declaration", "Edit", "FinalizeRefused",
    "FinalizeResult", "ItemView", "Missing", "ReviewWorkspace", "WorkspaceError", "open_snapshot",
]
