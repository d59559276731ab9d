"""The quality page, labelled-data export, and the audit log with its exports."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy import select
from sqlmodel import Session, col

from commwatch.store import AuditEntry, session_scope
from review import audit
from review.quality import labelled_jsonl, tag_quality
from review.web import current, render

router = APIRouter()
AUDIT_PAGE = 100


@router.get("/quality", response_class=HTMLResponse)
def quality(request: Request) -> Response:
    ctx = current(request)
    ctx.require("reviewer", "admin")
    with Session(ctx.settings.engine) as session:
        rows = tag_quality(session)
    return render(ctx, request, "quality.html", rows=rows)


def _stream(request: Request, lines: Iterator[str], media: str, filename: str,
            action: str) -> StreamingResponse:
    ctx = current(request)
    # Who took a copy of the data, and when, is itself on record.
    with session_scope(ctx.settings.engine) as session:
        audit.append(session, ctx.email, action, "", "", {"file": filename}, ctx.now)
    return StreamingResponse(lines, media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/quality/labels.jsonl")
def labels(request: Request) -> Response:
    ctx = current(request)
    ctx.require("reviewer", "admin")
    with Session(ctx.settings.engine) as session:
        lines = list(labelled_jsonl(session))
    return _stream(request, iter(lines), "application/x-ndjson", "labels.jsonl",
                   "export.labels")


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, before: int | None = None) -> Response:
    ctx = current(request)
    ctx.require("admin")
    with Session(ctx.settings.engine) as session:
        query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(AUDIT_PAGE)
        if before:
            query = query.where(col(AuditEntry.id) < before)
        entries = list(session.scalars(query))
        verdict = audit.verify(session)
    return render(ctx, request, "audit.html", entries=entries, verdict=verdict)


@router.get("/audit/export.{fmt}")
def audit_export(request: Request, fmt: str) -> Response:
    ctx = current(request)
    ctx.require("admin")
    if fmt not in ("csv", "json"):
        return Response("csv or json", status_code=404)
    with Session(ctx.settings.engine) as session:
        rows = list(audit.export_rows(session))
    lines = audit.to_csv(rows) if fmt == "csv" else audit.to_json(rows)
    media = "text/csv" if fmt == "csv" else "application/json"
    return _stream(request, lines, media, f"audit.{fmt}", "export.audit")
