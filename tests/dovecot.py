"""A private Dovecot for the IMAP tests: own CA and certificate, config, ports, users and logs.

Use it from a test module with `from tests.dovecot import dovecot  # noqa: F401`. The server is
started once per session (well under a second) on free loopback ports, never the system's
config or ports 143/993; each test takes a fresh user from `add_user()`, so tests share no
mailbox. On failure the log stays in the base folder and its path is printed.
"""

from __future__ import annotations

import datetime as dt
import grp
import imaplib
import ipaddress
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
HOST = "127.0.0.1"
POOL_SIZE = 80
OTHER_HOST = "127.0.0.2"  # also loopback, also served, but not named in the certificate


@dataclass(frozen=True)
class MailUser:
    name: str
    password: str
    token: str  # accepted by AUTHENTICATE XOAUTH2 only
    home: Path


def _free_port() -> int:
    """A port free on both served addresses (bound, then closed, as Dovecot needs it)."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            port = int(probe.getsockname()[1])
        try:
            with socket.socket() as other:
                other.bind((OTHER_HOST, port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port on the loopback addresses")


def _children(parent: int) -> list[int]:
    """PIDs whose parent is `parent`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found.append(int(entry.name))
    return found


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_ca(path: Path, common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                       critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def _write_server_cert(base: Path, ca_key: ec.EllipticCurvePrivateKey,
                       ca_cert: x509.Certificate) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))
        ]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = base / "server.crt", base / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


class DovecotServer:
    """One private Dovecot. Folder names given to the helpers are sent as they are (so a
    non-ASCII name must be given in modified UTF-7)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.host = HOST
        self.other_host = OTHER_HOST
        self.imap_port = _free_port()
        self.imaps_port = _free_port()
        self.config_path = base / "dovecot.conf"
        self.log_path = base / "dovecot.log"
        self.ca_path = base / "ca.pem"
        self.other_ca_path = base / "other-ca.pem"  # a CA that signed nothing here
        self.users: dict[str, MailUser] = {}
        self._pool: list[MailUser] = []
        self._process: subprocess.Popen[bytes] | None = None
        if os.geteuid() == 0:
            # Dovecot refuses root for its login processes, and for mail users (UID 0).
            self.internal_user, self.login_user = "dovecot", "dovenull"
            mail = pwd.getpwnam("mail")
            self.mail_uid, self.mail_gid = mail.pw_uid, mail.pw_gid
        else:
            me = pwd.getpwuid(os.geteuid())
            self.internal_user = self.login_user = me.pw_name
            self.mail_uid, self.mail_gid = me.pw_uid, me.pw_gid

    # -- set-up ----------------------------------------------------------------------------

    def write_files(self) -> None:
        for sub in ("run", "state", "home"):
            (self.base / sub).mkdir(mode=0o755)
        os.chown(self.base / "home", self.mail_uid, self.mail_gid)
        ca_key, ca_cert = _write_ca(self.ca_path, "commwatch test CA")
        _write_ca(self.other_ca_path, "commwatch unrelated CA")
        cert, key = _write_server_cert(self.base, ca_key, ca_cert)
        self._make_users(POOL_SIZE)
        b = self.base
        self.config_path.write_text(f"""\
base_dir = {b}/run
state_dir = {b}/state
instance_name = commwatch-test-{self.imap_port}
listen = {HOST}, {OTHER_HOST}
protocols = imap
log_path = {self.log_path}
auth_verbose = yes
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
default_internal_user = {self.internal_user}
default_internal_group = {grp.getgrgid(pwd.getpwnam(self.internal_user).pw_gid).gr_name}
default_login_user = {self.login_user}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~/Maildir
auth_mechanisms = plain login xoauth2
auth_failure_delay = 0
mail_max_userip_connections = 50
passdb {{
  driver = passwd-file
  args = {b}/passwd
  mechanisms = plain login
}}
# XOAUTH2 hands the bearer token to the passdb as if it were a password: a second file
# holding one static token per user, consulted for that mechanism only, stands in for a
# token issuer.
passdb {{
  driver = passwd-file
  args = {b}/tokens
  mechanisms = xoauth2
}}
userdb {{
  driver = passwd-file
  args = {b}/passwd
}}
# No auth penalty: tests log in wrongly on purpose from 127.0.0.1, and Dovecot would then
# slow every later login from that address for up to 15 s. An unreachable penalty socket
# turns the penalty off.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = {self.imaps_port}
    ssl = yes
  }}
}}
""")

    def add_user(self) -> MailUser:
        """A user with an empty mailbox that no other test has had.

        Dovecot re-reads a changed passwd-file at most once a second, so users are made ahead
        in a pool; once the pool is used up, a new user is waited for until it can log in.
        """
        if self._pool:
            return self._pool.pop(0)
        self._make_users(1)
        user = self._pool.pop(0)
        deadline = time.monotonic() + 5
        while True:
            try:
                with self.client(user):
                    return user
            except imaplib.IMAP4.error:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _make_users(self, count: int) -> None:
        for _ in range(count):
            name = f"user{len(self.users) + 1}"
            home = self.base / "home" / name
            home.mkdir(mode=0o700)
            os.chown(home, self.mail_uid, self.mail_gid)
            user = MailUser(name, "pw-" + secrets.token_hex(8), "tok-" + secrets.token_hex(16),
                            home)
            self.users[name] = user
            self._pool.append(user)
        for file, field in (("passwd", "password"), ("tokens", "token")):
            lines = "".join(
                f"{u.name}:{{PLAIN}}{getattr(u, field)}:{self.mail_uid}:{self.mail_gid}"
                f"::{u.home}::\n"
                for u in self.users.values()
            )
            tmp = self.base / f"{file}.tmp"
            tmp.write_text(lines)
            tmp.replace(self.base / file)

    # -- running ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        if self.running:
            return
        with open(self.base / "dovecot.stderr", "ab") as err:
            self._process = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL, stdout=err, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        pending = [self.imap_port, self.imaps_port]
        while pending:
            if self._process.poll() is not None:
                raise RuntimeError(f"dovecot exited with {self._process.returncode}:\n"
                                   f"{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"dovecot did not listen within {timeout} s:\n{self.log_tail()}")
            try:
                socket.create_connection((HOST, pending[0]), timeout=0.5).close()
                pending.pop(0)
            except OSError:
                time.sleep(0.02)

    def stop(self) -> None:
        """Stop the master and every login and mail process: clients see their connection
        drop, as in a crash (Dovecot alone would let running sessions finish)."""
        if self._process is None:
            return
        if self._process.poll() is None:
            children = _children(self._process.pid)
            self._process.terminate()
            for pid in children:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
        self._process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 30) -> str:
        text = ""
        for path in (self.base / "dovecot.stderr", self.log_path):
            if path.exists():
                text += path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:]) + f"\n(full log: {self.log_path})"

    # -- mailbox helpers, over plain IMAP with the standard library -------------------------

    @contextmanager
    def client(self, user: MailUser) -> Iterator[imaplib.IMAP4]:
        conn = imaplib.IMAP4(HOST, self.imap_port, timeout=10)
        try:
            conn.login(user.name, user.password)
            yield conn
        finally:
            try:
                conn.logout()
            except (imaplib.IMAP4.error, OSError):
                pass

    def create_folder(self, user: MailUser, folder: str) -> None:
        with self.client(user) as conn:
            typ, data = conn.create(_quote(folder))
            if typ != "OK" and b"ALREADYEXISTS" not in data[-1]:
                raise RuntimeError(f"CREATE {folder}: {data}")

    def append(self, user: MailUser, folder: str, messages: list[bytes] | bytes,
               flags: str = "", when: dt.datetime | None = None) -> list[int]:
        """Deliver messages (creating the folder if needed); returns their UIDs."""
        if isinstance(messages, bytes):
            messages = [messages]
        uids = []
        with self.client(user) as conn:
            if folder.upper() != "INBOX":
                conn.create(_quote(folder))  # NO [ALREADYEXISTS] is fine
            for data in messages:
                date = imaplib.Time2Internaldate(when) if when else None
                typ, resp = conn.append(_quote(folder), f"({flags})" if flags else None, date,
                                        data)
                match = re.search(rb"APPENDUID \d+ (\d+)", resp[-1] or b"")
                if typ != "OK" or match is None:
                    raise RuntimeError(f"APPEND to {folder}: {typ} {resp}")
                uids.append(int(match.group(1)))
        return uids

    def flags(self, user: MailUser, folder: str = "INBOX") -> dict[int, set[str]]:
        """UID -> flags (without the session-local \\Recent), read with EXAMINE."""
        with self.client(user) as conn:
            typ, data = conn.select(_quote(folder), readonly=True)
            if typ != "OK":
                raise RuntimeError(f"EXAMINE {folder}: {data}")
            if int(data[0] or 0) == 0:
                return {}
            _typ, data = conn.uid("FETCH", "1:*", "(UID FLAGS)")
        found = {}
        for line in data:
            m = re.search(rb"UID (\d+) FLAGS \(([^)]*)\)", line if isinstance(line, bytes) else b"")
            if m:
                found[int(m.group(1))] = set(m.group(2).decode().split()) - {"\\Recent"}
        return found

    def uids(self, user: MailUser, folder: str = "INBOX") -> list[int]:
        return sorted(self.flags(user, folder))

    def uidvalidity(self, user: MailUser, folder: str = "INBOX") -> int:
        with self.client(user) as conn:
            typ, data = conn.status(_quote(folder), "(UIDVALIDITY)")
        match = re.search(rb"UIDVALIDITY (\d+)", data[-1] or b"")
        if typ != "OK" or match is None:
            raise RuntimeError(f"STATUS {folder}: {data}")
        return int(match.group(1))

    def change_uidvalidity(self, user: MailUser, folder: str = "INBOX") -> int:
        """Give a folder a new UIDVALIDITY, as a rebuilt or restored mailbox would have."""
        new = self.uidvalidity(user, folder) + 1000
        result = subprocess.run(
            [DOVEADM, "-c", str(self.config_path), "mailbox", "update", "-u", user.name,
             "--uid-validity", str(new), folder],
            capture_output=True, text=True, timeout=30, check=False,
        )
        if result.returncode != 0 or self.uidvalidity(user, folder) != new:
            raise RuntimeError(f"doveadm mailbox update failed: {result.stderr}\n{self.log_tail()}")
        return new


@pytest.fixture(scope="session")
def dovecot(request: pytest.FixtureRequest) -> Iterator[DovecotServer]:
    """A running private Dovecot for the whole session; see DovecotServer."""
    if not Path(DOVECOT).exists():
        pytest.fail(f"Dovecot is needed at {DOVECOT}: apt-get install dovecot-imapd")
    # Under /tmp when root: mail processes run as `mail` and must reach the homes, which a
    # private TMPDIR (mode 0700) would forbid.
    shared_tmp = "/tmp" if os.geteuid() == 0 else None  # noqa: S108 - mkdtemp: private name
    base = Path(tempfile.mkdtemp(prefix="commwatch-dovecot-", dir=shared_tmp))
    base.chmod(0o755)  # mail processes run as another user and must reach the homes
    server = DovecotServer(base)
    server.write_files()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        if request.session.testsfailed:
            reporter = request.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(f"Dovecot test server log: {server.log_path}")
        else:
            shutil.rmtree(base, ignore_errors=True)
