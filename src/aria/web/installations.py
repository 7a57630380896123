"""My integrations, the 4-step install wizard, sync, activity, errors, test queries, jobs.

The wizard saves as it goes: step 2 installs (state `configuring`) or saves a new config
version, step 3 saves a mapping, step 4 sets the schedule and enables. So Back and Next
always show what was entered, and nothing is active until the last step.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from aria.accounts.permissions import Permission
from aria.catalog import service as catalog
from aria.catalog.models import CatalogEntry
from aria.errors import AppError, Conflict, NotFound
from aria.installs import config_store, flows
from aria.installs import health as installs_health
from aria.installs import service as installs
from aria.installs.models import ACTIVITY_STATUSES, ACTIVITY_TYPES, SYNC_FREQUENCIES, Installation
from aria.mapping import service as mappings
from aria.mapping.schemas import MappingCreate, MappingUpdate, PreviewRequest
from aria.sdk import ConnectionResult
from aria.sync import service as sync
from aria.web import forms, queries
from aria.web.context import CurrentPage, Form, Page, PageRoute, form_str, redirect

router = APIRouter(route_class=PageRoute, include_in_schema=False)

FILTERS = {
    "all": None,
    "active": ("enabled",),
    "inactive": ("disabled", "configuring", "suspended"),
    "errors": ("error",),
}
STEPS = ("Choose", "Credentials", "Data mapping", "Test & activate")
WIZARD_MAPPING = "Wizard mapping"
EMPTY_RULES = {"field_mappings": [], "transformations": [], "filter_rules": {}}
FREQUENCY_LABELS = {
    "realtime": "Real time (every few minutes)",
    "hourly": "Every hour",
    "daily": "Once a day",
    "weekly": "Once a week",
    "manual": "Only when I press Sync Now",
}


def _installed(page: Page, installation_id: uuid.UUID) -> flows.Installed:
    return installs_health.installed_or_raise(page.session, page.principal, installation_id)


# -- My integrations -----------------------------------------------------------------------


@router.get("/integrations/installed")
def my_integrations(page: CurrentPage, filter: str = "all") -> HTMLResponse:
    """A card per installation: status, health, last sync, counts, the actions allowed."""
    chosen = filter if filter in FILTERS else "all"
    rows = installs.list_(page.session, organization_id=page.organization_id)
    tallies = {
        name: sum(1 for i, _ in rows if statuses is None or i.status in statuses)
        for name, statuses in FILTERS.items()
    }
    wanted = FILTERS[chosen]
    shown = [(i, e) for i, e in rows if wanted is None or i.status in wanted]
    return page.render(
        "installs/installed.html",
        rows=shown,
        filter=chosen,
        tallies=tallies,
        counts=queries.record_counts(page.session, organization_id=page.organization_id),
        jobs=queries.active_jobs(page.session, organization_id=page.organization_id),
        available=catalog.count(page.session),
    )


@router.get("/installations/{installation_id}")
def installation_detail(page: CurrentPage, installation_id: uuid.UUID) -> HTMLResponse:
    installed = _installed(page, installation_id)
    return page.render(
        "installs/detail.html",
        inst=installed.installation,
        entry=installed.entry,
        config=_masked(page, installed),
        jobs=sync.list_(
            page.session,
            organization_id=page.organization_id,
            installation_id=installed.installation.id,
            limit=10,
        ),
        history=config_store.history(page.session, installation=installed.installation)[:10],
    )


def _masked(page: Page, installed: flows.Installed) -> dict[str, Any]:
    try:
        model = flows.integration_class(page.runtime, installed.entry).config_class()
    except Conflict:
        return {}
    return config_store.masked(
        page.session,
        installation=installed.installation,
        model=model,
        with_metadata=page.can(Permission.credentials_metadata),
    )


# -- Step 1: choose ------------------------------------------------------------------------


def _existing(page: Page, entry: CatalogEntry) -> Installation | None:
    return installs.get_by_integration(
        page.session, organization_id=page.organization_id, integration_id=entry.id
    )


@router.get("/integrations/{key}/install")
def wizard_choose(page: CurrentPage, key: str) -> Response:
    page.require(Permission.install)
    entry = catalog.get_by_key_or_raise(page.session, key=key)
    existing = _existing(page, entry)
    if existing is not None:
        return redirect(f"/installations/{existing.id}/setup/credentials")
    cls = flows.integration_class(page.runtime, entry)
    return page.render(
        "installs/wizard_choose.html",
        entry=entry,
        steps=STEPS,
        step=1,
        inst=None,
        has_sandbox=cls.sandbox is not None,
    )


def _install_demo(page: Page, entry: CatalogEntry) -> Response:
    existing = _existing(page, entry)
    if existing is not None:
        return redirect(f"/installations/{existing.id}/setup/credentials")
    installed = flows.install(
        page.session,
        page.runtime,
        page.principal,
        integration_key=entry.key,
        config={},
        mode="sandbox",
        sync_frequency="manual",
    )
    return redirect(f"/installations/{installed.installation.id}/setup/credentials?demo=1")


@router.post("/integrations/{key}/install")
def wizard_choose_submit(page: CurrentPage, key: str, form: Form) -> Response:
    page.require(Permission.install)
    entry = catalog.get_by_key_or_raise(page.session, key=key)
    if form_str(form, "mode") == "sandbox":
        return _install_demo(page, entry)
    return redirect(f"/integrations/{entry.key}/install/credentials")


@router.post("/integrations/{key}/demo")
def try_demo(page: CurrentPage, key: str) -> Response:
    """Try Demo: install against the integration's sandbox with demo credentials."""
    page.require(Permission.install)
    entry = catalog.get_by_key_or_raise(page.session, key=key)
    if flows.integration_class(page.runtime, entry).sandbox is None:
        raise Conflict(f"{entry.name} has no demo sandbox")
    return _install_demo(page, entry)


# -- Step 2: credentials -------------------------------------------------------------------


def _credentials_page(
    page: Page,
    entry: CatalogEntry,
    inst: Installation | None,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    test: ConnectionResult | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    fields = forms.fields_from_schema(
        entry.config_schema, entry.config_requirements, values, errors
    )
    return page.render(
        "installs/wizard_credentials.html",
        status_code=status_code,
        entry=entry,
        inst=inst,
        steps=STEPS,
        step=2,
        fields=fields,
        test=test,
        message=message,
        action=(
            f"/installations/{inst.id}/setup/credentials"
            if inst
            else f"/integrations/{entry.key}/install/credentials"
        ),
        demo=page.request.query_params.get("demo") == "1",
    )


def _config_failure(error: AppError) -> tuple[dict[str, str], str]:
    errors = forms.field_errors(error.details)
    return errors, error.message if not errors else "Please fix the highlighted fields."


@router.get("/integrations/{key}/install/credentials")
def new_credentials(page: CurrentPage, key: str) -> Response:
    page.require(Permission.install)
    entry = catalog.get_by_key_or_raise(page.session, key=key)
    existing = _existing(page, entry)
    if existing is not None:
        return redirect(f"/installations/{existing.id}/setup/credentials")
    return _credentials_page(page, entry, None)


@router.post("/integrations/{key}/install/credentials")
def new_credentials_submit(page: CurrentPage, key: str, form: Form) -> Response:
    """Test (nothing saved) or Next (install in `configuring`, credentials into the vault)."""
    page.require(Permission.install)
    entry = catalog.get_by_key_or_raise(page.session, key=key)
    fields = forms.fields_from_schema(entry.config_schema, entry.config_requirements)
    config, errors = forms.parse_config(fields, form)
    shown = _shown_values(fields, config)
    if errors:
        return _credentials_page(page, entry, None, values=shown, errors=errors, status_code=422)
    try:
        if form_str(form, "action") == "test":
            result = flows.test_unsaved(
                page.session, page.runtime, integration_key=entry.key, config=config, mode="live"
            )
            return _credentials_page(page, entry, None, values=shown, test=result)
        installed = flows.install(
            page.session,
            page.runtime,
            page.principal,
            integration_key=entry.key,
            config=config,
            mode="live",
            sync_frequency="daily",
        )
    except flows.InvalidConfig as error:
        page.session.rollback()
        errors, message = _config_failure(error)
        return _credentials_page(
            page, entry, None, values=shown, errors=errors, message=message, status_code=422
        )
    return redirect(f"/installations/{installed.installation.id}/setup/mapping")


def _shown_values(fields: list[forms.ConfigField], config: dict[str, Any]) -> dict[str, Any]:
    """What to put back into the form after a failed post: never the typed secrets."""
    return {f.name: config.get(f.name) for f in fields if not f.secret}


@router.get("/installations/{installation_id}/setup/credentials")
def setup_credentials(page: CurrentPage, installation_id: uuid.UUID) -> HTMLResponse:
    page.require(Permission.configure)
    installed = _installed(page, installation_id)
    return _credentials_page(
        page, installed.entry, installed.installation, values=_masked(page, installed)
    )


@router.post("/installations/{installation_id}/setup/credentials")
def setup_credentials_submit(page: CurrentPage, installation_id: uuid.UUID, form: Form) -> Response:
    """Test the saved config with the changes over it, or save a new version and go on."""
    page.require(Permission.configure)
    installed = _installed(page, installation_id)
    entry, inst = installed.entry, installed.installation
    masked = _masked(page, installed)
    fields = forms.fields_from_schema(entry.config_schema, entry.config_requirements, masked)
    config, errors = forms.parse_config(fields, form)
    shown = {**masked, **_shown_values(fields, config)}
    if errors:
        return _credentials_page(page, entry, inst, values=shown, errors=errors, status_code=422)
    try:
        if form_str(form, "action") == "test":
            result = flows.test_connection(
                page.session, page.runtime, page.principal, installed, override=config
            )
            return _credentials_page(page, entry, inst, values=shown, test=result)
        flows.reconfigure(page.session, page.runtime, page.principal, installed, config=config)
    except flows.InvalidConfig as error:
        page.session.rollback()
        errors, message = _config_failure(error)
        return _credentials_page(
            page, entry, inst, values=shown, errors=errors, message=message, status_code=422
        )
    except Conflict as error:
        page.session.rollback()
        return _credentials_page(
            page, entry, inst, values=shown, message=error.message, status_code=409
        )
    if form_str(form, "then") == "done":
        return redirect(f"/installations/{inst.id}")
    return redirect(f"/installations/{inst.id}/setup/mapping")


# -- Step 3: data mapping ------------------------------------------------------------------


def _rules_text(rules: dict[str, Any]) -> str:
    return json.dumps(rules, indent=2)


def _mapping_page(
    page: Page,
    installed: flows.Installed,
    *,
    source_type: str | None,
    rules_text: str | None = None,
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    cls = flows.integration_class(page.runtime, installed.entry)
    streams = [s.name for s in cls.streams]
    source = source_type if source_type in streams else (streams[0] if streams else "")
    saved = (
        mappings.list_(
            page.session,
            organization_id=page.organization_id,
            installation_id=installed.installation.id,
            source_type=source,
        )
        if source
        else []
    )
    mine = next((m for m in saved if m.name == WIZARD_MAPPING), None)
    if rules_text is None:
        rules_text = _rules_text(
            {
                "field_mappings": mine.field_mappings,
                "transformations": mine.transformations,
                "filter_rules": mine.filter_rules,
            }
            if mine
            else EMPTY_RULES
        )
    preview = None
    sample_error = None
    if source and not errors:
        outcome = queries.run_query(page.session, page.runtime, installed, stream=source, limit=3)
        sample_error = outcome.error
        if outcome.raw:
            try:
                rules = json.loads(rules_text)
                preview = mappings.preview(
                    page.session,
                    organization_id=page.organization_id,
                    installation_id=installed.installation.id,
                    registry=page.runtime.registry,
                    data=PreviewRequest(source_type=source, samples=outcome.raw[:3], **rules),
                    master_key=page.runtime.master_key,
                )
            except (AppError, ValueError, TypeError) as error:
                errors = _mapping_errors(error)
                status_code = 422
    return page.render(
        "installs/wizard_mapping.html",
        status_code=status_code,
        entry=installed.entry,
        inst=installed.installation,
        steps=STEPS,
        step=3,
        streams=streams,
        source_type=source,
        rules_text=rules_text,
        errors=errors or [],
        preview=preview,
        sample_error=sample_error,
        others=[m for m in saved if m.name != WIZARD_MAPPING],
    )


def _mapping_errors(error: Exception) -> list[dict[str, str]]:
    if isinstance(error, AppError) and isinstance(error.details, list):
        return [
            {"field": str(d.get("field", "")), "message": str(d.get("message", ""))}
            for d in error.details
            if isinstance(d, dict)
        ]
    if isinstance(error, AppError):
        return [{"field": "rules", "message": error.message}]
    return [{"field": "rules", "message": str(error).splitlines()[0]}]


@router.get("/installations/{installation_id}/setup/mapping")
def setup_mapping(
    page: CurrentPage, installation_id: uuid.UUID, source_type: str | None = None
) -> HTMLResponse:
    page.require(Permission.configure)
    return _mapping_page(page, _installed(page, installation_id), source_type=source_type)


def _parse_rules(text: str) -> dict[str, Any]:
    try:
        rules = json.loads(text or "{}")
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON: {error.msg} (line {error.lineno})") from None
    if not isinstance(rules, dict):
        raise ValueError("rules must be a JSON object")
    unknown = set(rules) - set(EMPTY_RULES)
    if unknown:
        raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
    return {**EMPTY_RULES, **rules}


@router.post("/installations/{installation_id}/setup/mapping")
def setup_mapping_submit(page: CurrentPage, installation_id: uuid.UUID, form: Form) -> Response:
    """Preview (nothing saved), Save & continue, or Skip (keep the integration's defaults)."""
    page.require(Permission.configure)
    installed = _installed(page, installation_id)
    inst = installed.installation
    action = form_str(form, "action")
    source = form_str(form, "source_type")
    text = form_str(form, "rules")
    if action == "skip":
        return redirect(f"/installations/{inst.id}/setup/activate")
    try:
        rules = _parse_rules(text)
    except ValueError as error:
        return _mapping_page(
            page,
            installed,
            source_type=source,
            rules_text=text,
            errors=[{"field": "rules", "message": str(error)}],
            status_code=422,
        )
    if action == "preview":
        return _mapping_page(page, installed, source_type=source, rules_text=text)
    existing = next(
        (
            m
            for m in mappings.list_(
                page.session,
                organization_id=page.organization_id,
                installation_id=inst.id,
                source_type=source,
            )
            if m.name == WIZARD_MAPPING
        ),
        None,
    )
    empty = rules == EMPTY_RULES
    try:
        if existing is not None:
            mappings.update(
                page.session,
                organization_id=page.organization_id,
                installation_id=inst.id,
                mapping_id=existing.id,
                registry=page.runtime.registry,
                data=MappingUpdate(is_active=not empty, **rules),
            )
        elif not empty:
            mappings.create(
                page.session,
                organization_id=page.organization_id,
                installation_id=inst.id,
                registry=page.runtime.registry,
                data=MappingCreate(source_type=source, name=WIZARD_MAPPING, **rules),
            )
    except (AppError, ValueError) as error:
        page.session.rollback()
        return _mapping_page(
            page,
            installed,
            source_type=source,
            rules_text=text,
            errors=_mapping_errors(error),
            status_code=422,
        )
    return redirect(f"/installations/{inst.id}/setup/activate")


# -- Step 4: test & activate ---------------------------------------------------------------


def _activate_page(
    page: Page,
    installed: flows.Installed,
    *,
    test: ConnectionResult | None = None,
    message: str | None = None,
    frequency: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page.render(
        "installs/wizard_activate.html",
        status_code=status_code,
        entry=installed.entry,
        inst=installed.installation,
        steps=STEPS,
        step=4,
        frequencies=[(f, FREQUENCY_LABELS.get(f, f)) for f in SYNC_FREQUENCIES],
        frequency=frequency or installed.installation.sync_frequency,
        test=test,
        message=message,
    )


@router.get("/installations/{installation_id}/setup/activate")
def setup_activate(page: CurrentPage, installation_id: uuid.UUID) -> HTMLResponse:
    page.require(Permission.configure)
    return _activate_page(page, _installed(page, installation_id))


@router.post("/installations/{installation_id}/setup/activate")
def setup_activate_submit(page: CurrentPage, installation_id: uuid.UUID, form: Form) -> Response:
    """Test, or set the schedule and enable (which needs a passing connection test)."""
    page.require(Permission.configure)
    installed = _installed(page, installation_id)
    inst = installed.installation
    frequency = form_str(form, "sync_frequency")
    if frequency not in SYNC_FREQUENCIES:
        return _activate_page(page, installed, message="Choose how often to sync.", status_code=422)
    if form_str(form, "action") == "test":
        result = flows.test_connection(page.session, page.runtime, page.principal, installed)
        return _activate_page(page, installed, test=result, frequency=frequency)
    inst.sync_frequency = frequency
    try:
        if inst.status != "enabled":
            flows.transition(
                page.session, page.runtime, page.principal, installed, target="enabled"
            )
    except Conflict as error:
        return _activate_page(
            page, installed, message=error.message, frequency=frequency, status_code=409
        )
    if form.get("sync_now") is not None and page.can(Permission.sync):
        _queue_sync(page, inst)
        return redirect(f"/integrations/installed?done=activated_sync#inst-{inst.id}")
    return redirect(f"/integrations/installed?done=activated#inst-{inst.id}")


# -- Actions on a card ---------------------------------------------------------------------


def _queue_sync(page: Page, inst: Installation) -> uuid.UUID:
    job = sync.create(
        page.session,
        installation=inst,
        job_type="incremental",
        triggered_by="user",
        user_id=page.principal.user_id,
    )
    page.session.commit()  # the worker must see the job before it runs
    page.runtime.sync_tasks.enqueue(job.id)
    return job.id


@router.post("/installations/{installation_id}/sync")
def sync_now(page: CurrentPage, installation_id: uuid.UUID) -> Response:
    page.require(Permission.sync)
    inst = _installed(page, installation_id).installation
    if sync.active_job(page.session, installation_id=inst.id) is not None:
        # The scheduler (or another person) got there first: show that sync, not an error.
        return redirect(f"/integrations/installed?done=sync_running#inst-{inst.id}")
    _queue_sync(page, inst)
    return redirect(f"/integrations/installed?done=sync_queued#inst-{inst.id}")


@router.post("/installations/{installation_id}/disable")
def disable(page: CurrentPage, installation_id: uuid.UUID) -> Response:
    page.require(Permission.configure)
    installed = _installed(page, installation_id)
    flows.transition(page.session, page.runtime, page.principal, installed, target="disabled")
    return redirect(f"/integrations/installed?done=disabled#inst-{installation_id}")


@router.post("/installations/{installation_id}/enable")
def enable(page: CurrentPage, installation_id: uuid.UUID) -> Response:
    page.require(Permission.configure)
    installed = _installed(page, installation_id)
    flows.transition(page.session, page.runtime, page.principal, installed, target="enabled")
    return redirect(f"/integrations/installed?done=enabled#inst-{installation_id}")


@router.post("/installations/{installation_id}/retry")
def retry(page: CurrentPage, installation_id: uuid.UUID) -> Response:
    """On error: test the connection, re-enable, and queue a sync."""
    page.require(Permission.configure)
    installed = _installed(page, installation_id)
    inst = installed.installation
    try:
        if inst.status != "enabled":
            flows.transition(
                page.session, page.runtime, page.principal, installed, target="enabled"
            )
    except Conflict as error:
        page.session.commit()
        return _error_page(page, installed, message=error.message, status_code=409)
    if page.can(Permission.sync) and sync.active_job(page.session, installation_id=inst.id) is None:
        _queue_sync(page, inst)
    return redirect(f"/integrations/installed?done=retrying#inst-{inst.id}")


@router.get("/installations/{installation_id}/uninstall")
def uninstall_confirm(page: CurrentPage, installation_id: uuid.UUID) -> HTMLResponse:
    page.require(Permission.install)
    installed = _installed(page, installation_id)
    return page.render(
        "installs/uninstall.html", inst=installed.installation, entry=installed.entry
    )


@router.post("/installations/{installation_id}/uninstall")
def uninstall(page: CurrentPage, installation_id: uuid.UUID, form: Form) -> Response:
    page.require(Permission.install)
    installed = _installed(page, installation_id)
    if form_str(form, "confirm") != installed.entry.key:
        return page.render(
            "installs/uninstall.html",
            status_code=422,
            inst=installed.installation,
            entry=installed.entry,
            error=f"Type {installed.entry.key} to confirm.",
        )
    flows.uninstall(page.session, page.runtime, page.principal, installed)
    return redirect("/integrations/installed?done=uninstalled")


# -- Logs, errors, test query, jobs --------------------------------------------------------


@router.get("/installations/{installation_id}/activity")
def activity(
    page: CurrentPage,
    installation_id: uuid.UUID,
    type: str = "",
    status: str = "",
    before: int | None = None,
) -> HTMLResponse:
    installed = _installed(page, installation_id)
    rows = installs.activity(
        page.session,
        organization_id=page.organization_id,
        installation_id=installed.installation.id,
        limit=51,
        before_id=before,
        activity_type=type if type in ACTIVITY_TYPES else None,
        status=status if status in ACTIVITY_STATUSES else None,
    )
    return page.render(
        "installs/activity.html",
        inst=installed.installation,
        entry=installed.entry,
        rows=rows[:50],
        next_before=rows[49].id if len(rows) > 50 else None,
        type=type,
        status=status,
        types=ACTIVITY_TYPES,
        statuses=ACTIVITY_STATUSES,
    )


def _error_page(
    page: Page, installed: flows.Installed, *, message: str | None = None, status_code: int = 200
) -> HTMLResponse:
    inst = installed.installation
    failures = installs.activity(
        page.session,
        organization_id=page.organization_id,
        installation_id=inst.id,
        limit=10,
        status="failure",
    )
    jobs = [
        j
        for j in sync.list_(
            page.session, organization_id=page.organization_id, installation_id=inst.id, limit=20
        )
        if j.status == "failed"
    ][:5]
    return page.render(
        "installs/error.html",
        status_code=status_code,
        inst=inst,
        entry=installed.entry,
        failures=failures,
        failed_jobs=jobs,
        message=message,
    )


@router.get("/installations/{installation_id}/error")
def view_error(page: CurrentPage, installation_id: uuid.UUID) -> HTMLResponse:
    return _error_page(page, _installed(page, installation_id))


@router.get("/installations/{installation_id}/query")
def test_query(page: CurrentPage, installation_id: uuid.UUID) -> HTMLResponse:
    page.require(Permission.sync)
    installed = _installed(page, installation_id)
    cls = flows.integration_class(page.runtime, installed.entry)
    return page.render(
        "installs/query.html",
        inst=installed.installation,
        entry=installed.entry,
        streams=[s.name for s in cls.streams] + sorted(cls.queries),
        stream="",
        limit=5,
        outcome=None,
    )


@router.post("/installations/{installation_id}/query")
def test_query_submit(page: CurrentPage, installation_id: uuid.UUID, form: Form) -> HTMLResponse:
    """Run one stream now against the vendor (or sandbox) and show what comes back."""
    page.require(Permission.sync)
    installed = _installed(page, installation_id)
    cls = flows.integration_class(page.runtime, installed.entry)
    streams = [s.name for s in cls.streams] + sorted(cls.queries)
    stream = form_str(form, "stream")
    limit_text = form_str(form, "limit", "5")
    limit = int(limit_text) if limit_text.isdigit() else 5
    limit = max(1, min(limit, 50))
    if stream not in streams:
        return page.render(
            "installs/query.html",
            status_code=422,
            inst=installed.installation,
            entry=installed.entry,
            streams=streams,
            stream=stream,
            limit=limit,
            outcome=None,
            error="Choose what to query.",
        )
    outcome = queries.run_query(page.session, page.runtime, installed, stream=stream, limit=limit)
    return page.render(
        "installs/query.html",
        inst=installed.installation,
        entry=installed.entry,
        streams=streams,
        stream=stream,
        limit=limit,
        outcome=outcome,
    )


@router.get("/jobs/{job_id}")
def job_page(page: CurrentPage, job_id: uuid.UUID) -> HTMLResponse:
    job = sync.get_or_raise(page.session, organization_id=page.organization_id, job_id=job_id)
    installed = _installed(page, job.installation_id)
    return page.render(
        "installs/job.html", job=job, inst=installed.installation, entry=installed.entry
    )


@router.post("/jobs/{job_id}/cancel")
def cancel_job(page: CurrentPage, job_id: uuid.UUID) -> Response:
    page.require(Permission.sync)
    job = sync.get_or_raise(page.session, organization_id=page.organization_id, job_id=job_id)
    with contextlib.suppress(Conflict):
        sync.cancel(page.session, job=job)
    return redirect(f"/jobs/{job.id}?done=job_cancelled")


__all__ = ["NotFound", "router"]
