"""``landuse policy show|init``: the policy file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from landuse.cli import app
from landuse.cli.common import POLICY_HELP, console, load_policy
from landuse.core.errors import LanduseError
from landuse.core.labels import t

policy_app = typer.Typer(help="政策参数文件 / The policy file.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


@policy_app.command("show")
def policy_show(policy: Optional[Path] = typer.Option(None, "--policy", help=POLICY_HELP)) -> None:
    """显示政策参数（含版本与哈希）/ Print the policy with its version and hash."""
    from landuse.core.policy import default_policy_text

    pol = load_policy(policy)
    console.print(f"# {t('版本', 'version')}: {pol.version}   {t('哈希', 'hash')}: {pol.hash}")
    text = policy.read_text(encoding="utf-8") if policy else default_policy_text()
    sys.stdout.write(text)


@policy_app.command("init")
def policy_init(out: Path = typer.Option(..., "--out", help="输出 TOML 文件 / output TOML file"),
                force: bool = typer.Option(False, "--force", help="覆盖已有文件 / overwrite")) -> None:
    """复制默认政策文件以便修改 / Write a copy of the default policy to edit."""
    from landuse.core.policy import default_policy_text

    if out.exists() and not force:
        raise LanduseError(t(f"{out} 已存在（用 --force 覆盖）", f"{out} exists (use --force)"))
    out.write_text(default_policy_text(), encoding="utf-8")
    console.print(t(f"已写入 {out}", f"written {out}"))
