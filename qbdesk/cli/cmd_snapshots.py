"""qbdesk snapshots — being written (Step 2)."""


def register(sub) -> None:
    pass
