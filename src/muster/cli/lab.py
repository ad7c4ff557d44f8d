"""``muster lab``: a demo district in network namespaces, to sweep without a real network."""

import os
import subprocess
import sys
from pathlib import Path

import typer

from muster.cli.common import console, new_app, state

lab_app = new_app(
    "Build a demo district (two schools, a dozen devices) in network namespaces, sweep it, "
    "remove it. Needs root and iproute2; nothing it sends can leave the lab."
)

TAG = "demo"


def _config_path() -> Path:
    import tempfile

    return Path(tempfile.gettempdir()) / f"muster-lab-{TAG}" / "muster.toml"


@lab_app.command("up")
def up_command() -> None:
    """Build the demo district: namespaces mstr-demo-*, snmpd, snmpsim, TCP listeners."""
    from muster.collector.lab import Lab
    from muster.collector.lab.district import DEVICES, SCHOOLS, address, config_toml

    lab = Lab(TAG).up()
    _config_path().write_text(config_toml())
    for school in SCHOOLS:
        console.print(f"[bold]{school.code}[/] {school.name} {school.subnet}", highlight=False)
        for device in DEVICES:
            if device.school == school.code:
                what = device.walk or device.role
                note = " (excluded from sweeps)" if device.excluded else ""
                console.print(f"  {address(device):<12} {device.name:<14} {what}{note}")
    console.print(f"collector: {lab.collector_address} in namespace {lab.collector}")
    console.print(f"sites: {_config_path()}; sweep with `muster lab sweep`", highlight=False)


@lab_app.command("down")
def down_command() -> None:
    """Remove the demo district: stop its processes, delete its namespaces."""
    from muster.collector.lab import Lab

    Lab(TAG).down()
    console.print("demo district removed")


@lab_app.command(
    "sweep", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
)
def sweep_command(ctx: typer.Context) -> None:
    """Run `muster sweep --all` inside the lab's collector namespace; extra options pass on."""
    from muster.cmdb.db import database_url
    from muster.cmdb.errors import ConfigurationError
    from muster.collector.lab import Lab

    lab = Lab(TAG)
    if not _config_path().exists():
        raise ConfigurationError("the demo district is not built: run `muster lab up` first")
    env = {
        **os.environ,
        **lab.environment(),
        "MUSTER_DATABASE_URL": database_url(state(ctx).database_url),
    }
    muster = str(Path(sys.executable).with_name("muster"))
    argv = [muster, "sweep", "--all", "--config", str(_config_path()), *ctx.args]
    done = subprocess.run(lab.in_collector(argv), env=env, check=False)  # noqa: S603
    raise typer.Exit(done.returncode)
