"""A throwaway PostGIS server for the tests, on 127.0.0.1, run as a non-root user.

``LANDUSE_TEST_DATABASE_URL`` points the tests at an existing server instead. Otherwise a cluster
is made with initdb in a temporary folder (as the ``postgres`` system user when running as root:
initdb refuses root), started on a free loopback port, and removed at the end.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN_CANDIDATES = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"]


def pg_bin() -> Path:
    for c in PG_BIN_CANDIDATES:
        if (Path(c) / "initdb").exists():
            return Path(c)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL server binaries (initdb) not found: install postgresql-15 and postgresql-15-postgis-3")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostGISServer:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="landuse-pg-"))
        self.port = _free_port()
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        self.url = f"postgresql://landuse@127.0.0.1:{self.port}/landuse_test"

    def _run(self, args: list[str], **kw) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:
            args = ["runuser", "-u", "postgres", "--", *args]
        return subprocess.run(args, check=True, capture_output=True, text=True, **kw)

    def start(self) -> str:
        binp = pg_bin()
        data = self.dir / "data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, user="postgres")
            os.chmod(self.dir, 0o700)
        self._run([str(binp / "initdb"), "-D", str(data), "-U", "landuse", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
        sock = self.dir / "sock"
        sock.mkdir()
        if os.geteuid() == 0:
            shutil.chown(sock, user="postgres")
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={sock} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100 "
                "-c shared_buffers=256MB")
        self._run([str(binp / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(self.dir / "log"), "-w", "-t", "60", "start"])
        for _ in range(100):
            try:
                self._run([str(binp / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "landuse", "-d", "postgres",
                           "-c", "CREATE DATABASE landuse_test"])
                break
            except subprocess.CalledProcessError:
                time.sleep(0.2)
        self._run([str(binp / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "landuse", "-d", "landuse_test",
                   "-c", "CREATE EXTENSION postgis"])
        return self.url

    def stop(self) -> None:
        try:
            self._run([str(pg_bin() / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop"])
        except Exception:  # noqa: BLE001
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


if __name__ == "__main__":  # start one by hand: python tests/pgserver.py
    srv = PostGISServer()
    print(srv.start(), flush=True)
    print("data dir:", srv.dir)
