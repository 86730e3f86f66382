"""``ptsdrx serve``: the clinic service (FastAPI under uvicorn); FastAPI loads only here."""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (behind a TLS proxy).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
    proxy: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Trust X-Forwarded-For/-Proto from these proxy addresses (comma-separated).",
        ),
    ] = None,
) -> None:
    """Run the REST API (first start creates and migrates the registry)."""
    import uvicorn

    from ptsdrx.api import create_app
    from ptsdrx.settings import Settings

    try:
        app = create_app(Settings())
    except RuntimeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    uvicorn.run(
        app,
        host=host,
        port=port,
        proxy_headers=proxy is not None,
        forwarded_allow_ips=proxy,
        server_header=False,
        access_log=False,  # the service writes its own JSON line per request
        log_level="info",
    )


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the CLI."""
    app.command("serve")(serve)
