"""The ``fphot`` command: parse a service file, plot a stored light curve, run an emulator."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SERVICES = {
    "atlas": "atlas_photometry",
    "ztf": "ztf_photometry",
    "panstarrs": "panstarrs_photometry",
    "fink_lsst": "fink_lsst_photometry",
    "alerce_lsst": "alerce_lsst_photometry",
    "alerce_ztf": "alerce_ztf_photometry",
}
FORMATS = ("csv", "json", "parquet")


def _parse_command(args: argparse.Namespace) -> int:
    from fphot_provider.exceptions import FphotError
    from fphot_provider.parsers import registry

    try:
        text = _read_text(Path(args.file), args.service)
        table = registry.parse(
            SERVICES[args.service], text, target=args.target or Path(args.file).stem, snr_threshold=args.snr_threshold
        )
    except (OSError, FphotError) as err:
        print(f"fphot parse: {err}", file=sys.stderr)
        return 2
    _write_table(table, args.format, args.output)
    print(
        f"{len(table)} rows, {int(table['detected'].sum())} detections, {int((~table['good']).sum())} flagged",
        file=sys.stderr,
    )
    return 0


def _plot_command(args: argparse.Namespace) -> int:
    """Draw a target's light curve from a sink (the survey monitor redraws only some each night)."""
    from fphot_provider.exceptions import FphotError
    from fphot_provider.plotting import plot_light_curve
    from fphot_provider.sinks import get_sink
    from fphot_provider.storage import data_dir
    from fphot_provider.targets import safe_name

    try:
        table = get_sink(args.sink).read(args.target)
    except FphotError as err:
        print(f"fphot plot: {err}", file=sys.stderr)
        return 2
    if table.empty:
        print(f"fphot plot: {args.target!r} has no rows in sink {args.sink!r}", file=sys.stderr)
        return 2
    path = Path(args.output) if args.output else data_dir() / "plots" / f"{safe_name(args.target)}.png"
    plot_light_curve(table, path, title=args.target)
    print(f"{len(table)} rows of {args.target} plotted at {path}", file=sys.stderr)
    return 0


def _read_text(path: Path, service: str) -> str:
    """The file's text, or a TableParseError saying why it cannot be a service's answer.

    Every service answers with text that has at least a header: an empty file, a binary file or
    one that is not UTF-8 is refused the same way for all of them.
    """
    from fphot_provider.exceptions import TableParseError

    data = path.read_bytes()
    if not data.strip():
        raise TableParseError(f"{path} is empty; a {service} answer always has a header, even with no rows")
    if b"\x00" in data:
        raise TableParseError(f"{path} is binary; a {service} answer is text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise TableParseError(f"{path} is not UTF-8 text (byte {err.start}); a {service} answer is") from None


def _write_table(table, fmt: str, output: str | None) -> None:  # noqa: ANN001 - a DataFrame
    if fmt == "parquet":
        if not output:
            raise SystemExit("fphot parse: --format parquet needs --output FILE")
        table.to_parquet(output, index=False)
        return
    text = table.to_csv(index=False) if fmt == "csv" else table.to_json(orient="records", lines=True)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _atlas_app(args: argparse.Namespace):  # noqa: ANN202 - an aiohttp Application
    from fphot_provider.emulators import atlas

    config = atlas.AtlasConfig(
        queue_seconds=args.queue_seconds, run_seconds=args.run_seconds, submits_per_minute=args.submits_per_minute
    )
    app = atlas.create_app(config, base_path=args.base_path)
    return app, atlas.state_of(app).recorded


def _ztf_app(args: argparse.Namespace):  # noqa: ANN202
    from fphot_provider.emulators import ztf

    app = ztf.create_app(ztf.ZtfConfig(queue_seconds=args.queue_seconds, run_seconds=args.run_seconds))
    return app, ztf.state_of(app).recorded


def _panstarrs_app(args: argparse.Namespace):  # noqa: ANN202
    from fphot_provider.emulators import panstarrs

    return panstarrs.create_app(), []


def _broker_app(create: str):  # noqa: ANN202 - a factory of the CLI's app builders
    def build(args: argparse.Namespace):  # noqa: ANN202, ARG001
        from fphot_provider.loading import load_object

        return load_object(create, "emulator")(), []

    return build


EMULATORS = {
    "atlas": _atlas_app,
    "ztf": _ztf_app,
    "panstarrs": _panstarrs_app,
    "fink_lsst": _broker_app("fphot_provider.emulators.fink:create_app"),
    "alerce_lsst": _broker_app("fphot_provider.emulators.alerce:create_lsst_app"),
    "alerce_ztf": _broker_app("fphot_provider.emulators.alerce:create_ztf_app"),
}


def _emulator_command(args: argparse.Namespace) -> int:
    import asyncio

    from aiohttp import web

    app, recorded = EMULATORS[args.service](args)
    for spec in args.register or []:
        ra, dec, path = spec.split(",", 2)
        recorded.append((float(ra), float(dec), Path(path).read_text(encoding="utf-8")))

    async def serve() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, args.host, args.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        url = f"http://{args.host}:{port}{args.base_path}"
        print(f"{args.service} emulator listening on {url}", flush=True)
        if args.url_file:
            Path(args.url_file).write_text(url, encoding="utf-8")
        await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fphot", description="Forced photometry tools (fphot_provider).")
    sub = parser.add_subparsers(dest="command", required=True)
    parse = sub.add_parser("parse", help="parse a service result file into the photometry table")
    parse.add_argument("service", choices=sorted(SERVICES))
    parse.add_argument("file")
    parse.add_argument("--format", choices=FORMATS, default="csv")
    parse.add_argument("--output", "-o", help="write here instead of stdout")
    parse.add_argument("--target", help="target name for the rows (default: the file name)")
    parse.add_argument("--snr-threshold", type=float, default=3.0)
    parse.set_defaults(func=_parse_command)
    plot = sub.add_parser("plot", help="draw a target's light curve from what a sink holds")
    plot.add_argument("target")
    plot.add_argument("--sink", default="file", help="a sink spec: file, sql, sql:conn_id=...,table=... (default file)")
    plot.add_argument("--output", "-o", help="PNG path (default <data_dir>/plots/<target>.png)")
    plot.set_defaults(func=_plot_command)
    emu = sub.add_parser("emulator", help="run a service emulator on loopback")
    emu.add_argument("service", choices=sorted(EMULATORS))
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=0, help="0 picks a free port")
    emu.add_argument("--url-file", help="write the base URL here once listening")
    emu.add_argument("--base-path", default="", help="URL prefix, e.g. /forcedphot (ATLAS)")
    emu.add_argument("--queue-seconds", type=float, default=2.0)
    emu.add_argument("--run-seconds", type=float, default=3.0)
    emu.add_argument("--submits-per-minute", type=int, default=60, help="ATLAS throttle")
    emu.add_argument("--register", action="append", metavar="RA,DEC,FILE", help="serve a recorded file for a position")
    emu.set_defaults(func=_emulator_command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
