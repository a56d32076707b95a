"""The scheduler: APScheduler 3.x cron triggers, in the organisation's time zone, say *when*;
`bot.jobs` decides whether a run happens (claimed in the database) and does it.

APScheduler's own job stores cannot be shared between processes (its FAQ says so): none is used.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from bot import jobs

log = logging.getLogger("safeshift.scheduler")


class JobScheduler:
    """One process's cron triggers. Start it in `serve` or in `safeshift scheduler`; several may run."""

    name = "scheduler"

    def __init__(self, ctx):
        self.ctx = ctx
        self._scheduler: BackgroundScheduler | None = None

    def _run(self, job: str) -> None:
        try:
            jobs.run_due(self.ctx, job)
        except Exception:  # noqa: BLE001 - the next run still comes
            log.exception("job %s failed", job)

    def start(self) -> None:
        sched = BackgroundScheduler(timezone=self.ctx.org.tz)
        for job, trigger in jobs.triggers(self.ctx.org).items():
            grace = int(jobs.catch_up_window(self.ctx.org, job).total_seconds())
            sched.add_job(self._run, trigger, args=[job], id=job, misfire_grace_time=grace, coalesce=True,
                          max_instances=1)
        sched.start()
        self._scheduler = sched
        try:
            jobs.catch_up(self.ctx)
        except Exception:  # noqa: BLE001 - the database may be away; the next run still comes
            log.exception("catch-up of missed jobs failed")

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
