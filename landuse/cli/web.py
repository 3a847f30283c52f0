"""The web service and its accounts: ``serve``, ``user add|list|disable|passwd``."""

from __future__ import annotations

import sys
from typing import Optional

import typer
from rich.table import Table

from landuse.cli import app
from landuse.cli.common import DB_HELP, console, open_store
from landuse.core.labels import t

user_app = typer.Typer(help="Web 用户管理 / Web-service accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@app.command("serve")
def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址 / listen address"),
    port: int = typer.Option(8000, "--port", help="端口 / port"),
    workers: int = typer.Option(1, "--workers", help="进程数 / worker processes"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """启动 Web 服务（FastAPI + uvicorn）/ Run the web service."""
    from landuse.web.app import serve

    open_store(db).close()
    serve(db, host=host, port=port, workers=workers)


def _read_password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt(t("密码", "Password"), hide_input=True, confirmation_prompt=True)


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="用户名 / user name"),
    role: str = typer.Option(..., "--role", help="admin | evaluator | manager | viewer"),
    zones: Optional[str] = typer.Option(None, "--zones", help="开发区代码，逗号分隔（manager 必填）/ zone codes, comma-separated"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读取密码 / read the password from stdin"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """新增 Web 用户（首次安装用它创建第一个管理员）/ Add a web account (creates the first admin)."""
    from landuse.services import accounts

    accounts.add_user(open_store(db), name, role=role, password=_read_password(password_stdin), zones=zones, actor="cli")
    console.print(t(f"已创建用户 {name}（{role}）", f"user {name} ({role}) created"))


@user_app.command("list")
def user_list(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """列出 Web 用户 / List web accounts."""
    from landuse.services import accounts

    tab = Table(title=t("用户", "Users"))
    for h in (t("用户名", "user"), t("角色", "role"), t("开发区", "zones"), t("状态", "status")):
        tab.add_column(h)
    for u in accounts.list_users(open_store(db)):
        tab.add_row(u.username, u.role, ",".join(u.zones) or t("全部", "all"),
                    t("启用", "active") if u.active else t("停用", "disabled"))
    console.print(tab)


@user_app.command("disable")
def user_disable(name: str = typer.Argument(..., help="用户名 / user name"),
                 db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """停用用户并结束其登录会话 / Disable an account and end its sessions."""
    from landuse.services import accounts

    accounts.set_active(open_store(db), name, False, actor="cli")
    console.print(t(f"已停用 {name}", f"{name} disabled"))


@user_app.command("passwd")
def user_passwd(name: str = typer.Argument(..., help="用户名 / user name"),
                password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读取密码 / read the password from stdin"),
                db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """修改用户密码（结束其全部会话）/ Set a new password (ends the user's sessions)."""
    from landuse.services import accounts

    accounts.set_password(open_store(db), name, _read_password(password_stdin), actor="cli")
    console.print(t(f"已修改 {name} 的密码", f"password of {name} changed"))
