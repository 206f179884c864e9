"""The operator API's services, built together by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.dashboard_api.bots import BotAdmin
from chalicelib.dashboard_api.events import EventBrowser
from chalicelib.dashboard_api.groups import GroupAdmin
from chalicelib.dashboard_api.overview import Overview
from chalicelib.dashboard_api.scope import Scope
from chalicelib.store.bundle import Stores


@dataclass(frozen=True)
class OperatorApi:
    """Every service behind ``/api/``; each call takes the operator's ``Scope``."""

    stores: Stores
    bots: BotAdmin
    groups: GroupAdmin
    events: EventBrowser
    overview: Overview

    def scope(self, operator_id: int) -> Scope:
        """What ``operator_id`` may see."""
        return Scope(self.stores, operator_id)
