"""Status machines for models whose `status` may only move along allowed transitions.

    MACHINE = StatusMachine("a video", {"uploaded": {"queued"}, "queued": {"processing"}, ...})
    MACHINE.check(current, new)            # raises InvalidTransition
    MACHINE.move(video, "ready", ...)      # the only writer of video.status
    MACHINE.move_all(rows, "sending", "sent", ...)  # many rows at once, same rule

move() applies a change as a conditional UPDATE (`... WHERE status = <the status we saw>`),
so two processes racing on one row cannot both move it: the loser gets InvalidTransition
naming the status the row has now.
"""

from collections.abc import Mapping

from django.db import models, transaction
from django.utils import timezone


class InvalidTransition(Exception):
    def __init__(self, noun: str, current: str, new: str):
        super().__init__(f"{noun} cannot go from {current!r} to {new!r}")
        self.current = current
        self.new = new


class StatusMachine:
    def __init__(self, noun: str, transitions: Mapping[str, frozenset[str] | set[str]]):
        self.noun = noun
        self.transitions = {state: frozenset(nexts) for state, nexts in transitions.items()}
        # Final: states nothing leaves.
        self.final = frozenset(state for state, nexts in self.transitions.items() if not nexts)

    def check(self, current: str, new: str) -> None:
        if new not in self.transitions.get(current, frozenset()):
            raise InvalidTransition(self.noun, current, new)

    def move(self, obj: models.Model, new: str, **fields):
        """Moves obj to `new` (setting `fields` in the same UPDATE) and returns it."""
        self.check(obj.status, new)
        with transaction.atomic():
            moved = type(obj)._default_manager.filter(pk=obj.pk, status=obj.status).update(
                status=new, updated_at=timezone.now(), **fields
            )
        if not moved:
            # Someone else moved it first: report the status it has now.
            obj.refresh_from_db(fields=["status"])
            raise InvalidTransition(self.noun, obj.status, new)
        obj.status = new
        for name, value in fields.items():
            setattr(obj, name, value)
        return obj

    def move_all(self, queryset: models.QuerySet, current: str, new: str, **fields) -> int:
        """Moves every row of `queryset` that is in `current` to `new` in one conditional
        UPDATE and returns how many moved: rows another process moved first are left alone."""
        self.check(current, new)
        if any(f.name == "updated_at" for f in queryset.model._meta.concrete_fields):
            fields.setdefault("updated_at", timezone.now())
        return queryset.filter(status=current).update(status=new, **fields)
