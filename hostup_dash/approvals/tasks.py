"""The worker's expiry tick: change requests nobody decided within APPROVAL_TTL are marked expired, and
approved ones whose execution was cut off are settled from the audit log.

Every 10 s, and cheap: one indexed read when nothing is due. An overdue request is refused
approval even before this runs (the service checks the time itself); this makes it say so
in the list and the audit log.
"""

from procrastinate.contrib.django import app

from . import sweeps

APPROVALS_QUEUE = "approvals"
EXPIRE_TICK = "change_requests_expire"


@app.periodic(cron="* * * * * */10", periodic_id="change-requests-expire")
@app.task(name=EXPIRE_TICK, queue=APPROVALS_QUEUE, queueing_lock=EXPIRE_TICK)
def change_requests_expire(timestamp: int) -> None:
    sweeps.change_requests_expire()
    sweeps.change_requests_settle()
