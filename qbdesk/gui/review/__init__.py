"""The expert's window (评审专家工作台): open a snapshot, declare, read, score blind, finalise, print, purge.

``app.run`` is what ``qbdesk review gui`` calls. The shell around the reading and scoring
widgets lives here (start screen, declaration, work list, lock, finalise, print, purge); every
operation goes through :class:`qbdesk.services.reviewer.ReviewWorkspace`, never around it.
"""
