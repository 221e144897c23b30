"""Keeps the router's model fresh: retrained in the report process, swapped in whole.

At start the saved model is loaded (a missing or corrupt file: keywords, one log line) and,
when there is none, the first training is awaited before channels start, so routing does not
change under the first questions. Afterwards the report worker asks `due()` after every handled
message; every `every` new labelled tickets the model is retrained in its child process.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from handlers.core import Hotline
from handlers.intake import route_learning, route_model
from storage import repo

log = logging.getLogger(__name__)


class RouteLearner:
    def __init__(self, hotline: Hotline, model_file: str, every: int):
        self.hotline = hotline  # its settings are replaced by /nhom; the router object stays
        self.path = Path(model_file)
        self.every = every
        self.trained_at: int | None = None  # labelled tickets at the last training

    async def load_saved(self) -> bool:
        areas = self.hotline.settings.areas
        model = await asyncio.to_thread(route_model.load, self.path, areas)
        self.hotline.settings.router.model = model
        return model is not None

    async def due(self) -> bool:
        if self.trained_at is None:
            return True
        async with self.hotline.db.session() as session:
            count = await repo.count_routing_labels(session)
        return count - self.trained_at >= self.every

    async def retrain(self, pool: Executor) -> route_learning.TrainReport | None:
        """Train in `pool`'s process; swap the model in if it passed the held-out check.

        BrokenProcessPool escapes (the caller replaces the pool); any other failure is logged
        and waits for the next `every` labels, the current model staying in use."""
        h = self.hotline
        async with h.db.session() as session:
            count = await repo.count_routing_labels(session)
        loop = asyncio.get_running_loop()
        try:
            report = await loop.run_in_executor(
                pool, route_learning.retrain, h.db.url, h.settings.areas, str(self.path)
            )
        except BrokenProcessPool:
            raise
        except Exception:
            log.exception("routing model training failed; the current model stays")
            self.trained_at = count
            return None
        self.trained_at = count
        log.info(report.line())
        if report.accepted:
            await self.load_saved()
        return report
