"""The Slack app: ``build_app(settings)`` wires the store, the pipeline, the incident memory and
the listeners into an ``OomlensApp``.

There is no module-level App: the HTTP server, Socket Mode and the tests each build their own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler

from bot.settings import IncidentSettings, OAuthSettings, Settings
from bot.slack import logs, metrics
from bot.slack.incidents import Incidents
from bot.slack.jobs import JobRunner
from bot.slack.listeners import actions, commands, files, home, installs, mentions, messages, shortcuts
from bot.slack.oauth import TeamClients, bolt_oauth_settings
from bot.slack.pacing import SharedChannelPacer, Turns
from bot.slack.recorder import Recorder
from bot.slack.scheduler import Scheduler
from bot.slack.services import Services, default_analyzer
from bot.store import Store
from bot.store.queue import Job
from bot.store.spool import Spool, SpoolBusy
from bot.store.store import DatabaseLimits

log = logging.getLogger(__name__)

# One module per Slack surface; order matters only for the `message` event, whose catch-all
# comes last (Bolt answers 404 to an unmatched event and Slack would retry it).
LISTENER_MODULES = (messages, files, commands, shortcuts, actions, home, mentions, installs)


def make_client(settings: Settings) -> WebClient:
    client = WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=20)
    # slack_sdk retries only connection errors by default; 429s must wait Retry-After and retry.
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=3))
    client.retry_handlers.append(ServerErrorRetryHandler(max_retry_count=1))
    return client


def _bolt_logger() -> logging.Logger:
    # Bolt logs whole request bodies (pasted dumps) when a signature check fails; keep its own
    # chatter at WARNING so no paste reaches the INFO log.
    logger = logging.getLogger("bot.bolt")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)
    return logger


@dataclass(frozen=True)
class OomlensApp:
    """One running bot: the Bolt app (``bolt``) and what its listeners share.

    ``shutdown()`` stops the scheduler, lets acknowledged analyses post their reply and lets
    queued charts finish (SIGTERM in HTTP mode, the end of Socket Mode, the tests)."""

    bolt: App
    services: Services
    executor: ThreadPoolExecutor
    incidents: Incidents
    scheduler: Scheduler
    # Events API deliveries (HTTP and Socket Mode) are recorded by ``recorder`` before the ack, as
    # jobs in the shared queue run by ``jobs`` through ``worker``, a second Bolt app that runs
    # listeners before it returns (so "returned" means "answered"); or, while the database cannot
    # record them, in the local ``spool``, answered by ``spool_jobs`` through ``spool_worker``,
    # the same listeners over the spool's local store (``spool_services``).
    worker: App | None = None
    jobs: JobRunner | None = None
    recorder: Recorder | None = None
    spool: Spool | None = None
    spool_services: Services | None = None
    spool_worker: App | None = None
    spool_jobs: JobRunner | None = None

    @property
    def client(self) -> WebClient:
        return self.bolt.client  # type: ignore[no-any-return]

    def shutdown(self) -> None:
        self.scheduler.stop()
        if self.recorder is not None:
            self.recorder.stop()
        if self.jobs is not None:
            self.jobs.stop()
        if self.spool_jobs is not None:
            self.spool_jobs.stop()
        self.executor.shutdown(wait=True, cancel_futures=False)
        self.incidents.drain()
        if self.spool_services is not None and isinstance(self.spool_services.incidents, Incidents):
            self.spool_services.incidents.drain()
        if self.spool is not None:
            self.spool.close()  # what it still holds is replayed by the next process to take it


def build_app(
    settings: Settings,
    *,
    store: Store | None = None,
    analyzer: Callable[[str], Any] | None = None,
    incident_settings: IncidentSettings | None = None,
    start_scheduler: bool = True,
    oauth: OAuthSettings | None = None,
    start_jobs: bool = True,
) -> OomlensApp:
    """A ready app for ``settings`` (calls ``auth.test`` once to learn the bot's identity)."""
    store = (
        store if store is not None else Store.open(settings.database_url, limits=DatabaseLimits.from_settings(settings))
    )
    turns = Turns()  # how replicas share Slack's pace while the database is away
    executor = logs.ContextExecutor(max_workers=settings.listener_threads, thread_name_prefix="oomlens-listener")
    services = Services(
        settings=settings,
        store=store,
        analyze=analyzer or default_analyzer,
        pacer=SharedChannelPacer(store, settings.post_interval_s, turns=turns),
    )
    # "Add to Slack" (several workspaces) when SLACK_CLIENT_ID is set; else the one SLACK_BOT_TOKEN.
    oauth = oauth if oauth is not None else OAuthSettings.from_env()
    bolt = App(
        client=make_client(settings),
        signing_secret=settings.signing_secret or "",
        request_verification_enabled=not settings.socket_mode,
        listener_executor=executor,
        logger=_bolt_logger(),
        oauth_settings=bolt_oauth_settings(oauth, store.engine) if oauth.enabled else None,
    )
    clients = TeamClients(bolt.client, bolt.installation_store if oauth.enabled else None)
    # Incident memory: events recorded after each analysis, `/oom summary|digest`, scheduled jobs.
    incidents = Incidents(services, incident_settings or IncidentSettings.from_env())
    services.incidents = incidents
    scheduler = Scheduler(incidents, bolt.client, executor=executor, client_for=clients.for_team)

    _wire(bolt, services)

    def make_worker(worker_services: Services) -> App:
        worker = App(
            client=bolt.client,
            signing_secret="",
            request_verification_enabled=False,  # checked before the delivery was recorded
            token_verification_enabled=False,
            process_before_response=True,
            logger=_bolt_logger(),
            # each workspace's own bot token, as for the app that acknowledged the delivery
            oauth_settings=bolt_oauth_settings(oauth, store.engine) if oauth.enabled else None,
        )
        _wire(worker, worker_services, replays=True)
        return worker

    worker = make_worker(services)
    jobs = JobRunner(
        services.store, _job_runner_for(worker), workers=settings.listener_threads, lease_s=settings.job_lease_s
    )
    spool, spool_services, spool_worker, spool_jobs = _open_spool(
        settings, services, incident_settings, make_worker, holder=jobs.holder
    )
    recorder = Recorder(
        services.store,
        spool,
        # With OAuth the workspace's token is in the database: nothing can be answered without it.
        answer_from_spool=spool_jobs is not None and not oauth.enabled,
        grace_s=settings.job_lease_s,
        wake_queue=jobs.wake,
        wake_spool=spool_jobs.wake if spool_jobs is not None else (lambda: None),
        holder=jobs.holder,
        turns=turns,
    )
    if isinstance(services.pacer, SharedChannelPacer):  # while the recorder sees no database: turns only
        services.pacer.database_ok = lambda: recorder.database_ok

    if start_scheduler:
        scheduler.start()
    if start_jobs:
        jobs.start()
        if spool_jobs is not None:
            spool_jobs.start()
        recorder.start()
    return OomlensApp(
        bolt=bolt,
        services=services,
        executor=executor,
        incidents=incidents,
        scheduler=scheduler,
        worker=worker,
        jobs=jobs,
        recorder=recorder,
        spool=spool,
        spool_services=spool_services,
        spool_worker=spool_worker,
        spool_jobs=spool_jobs,
    )


def _open_spool(
    settings: Settings,
    services: Services,
    incident_settings: IncidentSettings | None,
    make_worker: Callable[[Services], App],
    *,
    holder: str,
) -> tuple[Spool | None, Services | None, App | None, JobRunner | None]:
    """The local spool and what answers from it: the same listeners over the spool's own store."""
    try:
        spool = Spool(settings.spool_dir, max_bytes=settings.spool_max_bytes)
    except (OSError, SpoolBusy) as error:
        log.warning(
            "no local spool (%s): while the database is away deliveries are refused (503) and Slack retries them",
            str(error).splitlines()[0] if str(error) else type(error).__name__,
        )
        return None, None, None, None
    spool_services = Services(
        settings=settings,
        store=spool.store,
        analyze=services.analyze,
        # one pace per process; while the database is away, replicas take turns per channel
        pacer=services.pacer,
        bot_limiter=services.bot_limiter,
        locks=services.locks,
    )
    spool_services.incidents = Incidents(spool_services, incident_settings or IncidentSettings.from_env())
    spool_worker = make_worker(spool_services)
    spool_jobs = JobRunner(
        spool,
        _job_runner_for(spool_worker),
        workers=max(2, settings.listener_threads // 2),
        lease_s=settings.job_lease_s,
        holder=f"{holder}:spool"[:64],
    )
    return spool, spool_services, spool_worker, spool_jobs


def _wire(bolt: App, services: Services, *, replays: bool = False) -> None:
    @bolt.middleware
    def provide_services(context: Any, next: Callable[[], Any]) -> Any:
        context["oomlens"] = services
        return next()

    metrics.install(bolt, count_deliveries=not replays)  # deliveries by type and retry, Slack calls
    logs.install(bolt)  # log lines keyed by workspace, channel and event id
    for module in LISTENER_MODULES:
        module.register(bolt)

    @bolt.event("message")
    def ignore_other_messages() -> None:
        """Deletions, joins, topic changes...: acknowledged, nothing to say."""


def _job_runner_for(worker: App) -> Callable[[Job], str | None]:
    """Run one recorded delivery through ``worker``; an error line when it must be tried again."""
    failure = threading.local()

    @worker.error
    def remember_error(error: Exception) -> None:
        # One line in the job log instead of Bolt's traceback; the job is tried again.
        failure.error = error

    def run_job(job: Job) -> str | None:
        failure.error = None
        response = worker.dispatch(BoltRequest(body=job.body, headers={"content-type": ["application/json"]}))
        error = failure.error
        if error is not None:
            first = str(error).strip().splitlines()
            return f"{type(error).__name__}: {first[0][:200]}" if first else type(error).__name__
        if response.status >= 500:
            return f"listener answered {response.status}"
        return None

    return run_job
