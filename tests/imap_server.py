"""A real IMAP server for the mail intake tests: Debian's Dovecot, run by the test with its
own configuration on a free loopback port, a throwaway mail directory and a plain-text
password file. No root needed: it runs as the current user (as root, Dovecot refuses to run
its login and mail processes as root, so those use its own system users)."""

import imaplib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support import free_port

USER = "intake"
PASSWORD = "intake-secret"


def _accounts() -> tuple[str, str, str]:
    """(internal user, login user, mail user) Dovecot runs its processes as."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid()).pw_name
        return me, me, me
    return "dovecot", "dovenull", "dovecot"


def _config(directory: Path, port: int) -> str:
    internal, login, mail_user = _accounts()
    return f"""
base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
default_internal_user = {internal}
default_internal_group = {internal}
default_login_user = {login}
mail_location = maildir:{directory}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {directory}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={directory}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
"""


class DovecotServer:
    def __init__(self) -> None:
        # Short and world-readable: Dovecot's sockets live here, and its own users read it.
        self.directory = Path(tempfile.mkdtemp(prefix="cw-imap-", dir="/tmp"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "DovecotServer":
        dovecot = shutil.which("dovecot") or "/usr/sbin/dovecot"
        self.directory.chmod(0o755)
        for name in ("run", "state", "mail"):
            (self.directory / name).mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.directory / "mail", "dovecot", "dovecot")
        (self.directory / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        config = self.directory / "dovecot.conf"
        config.write_text(_config(self.directory, self.port))
        self.process = subprocess.Popen(
            [dovecot, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            self._wait_until_answering()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_answering(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with imaplib.IMAP4("127.0.0.1", self.port, timeout=5) as client:
                    client.login(USER, PASSWORD)
                    return
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.2)
        log = self.directory / "dovecot.log"
        raise RuntimeError(f"Dovecot did not answer: {log.read_text() if log.exists() else ''}")

    def deliver(self, raw: bytes) -> None:
        """Put a mail into the inbox, as the mail server would (IMAP APPEND)."""
        with imaplib.IMAP4("127.0.0.1", self.port, timeout=10) as client:
            client.login(USER, PASSWORD)
            status, _ = client.append("INBOX", None, None, raw)
            assert status == "OK"

    def unseen(self) -> int:
        with imaplib.IMAP4("127.0.0.1", self.port, timeout=10) as client:
            client.login(USER, PASSWORD)
            client.select("INBOX")
            _, found = client.search(None, "UNSEEN")
            return len(found[0].split())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None
        shutil.rmtree(self.directory, ignore_errors=True)
