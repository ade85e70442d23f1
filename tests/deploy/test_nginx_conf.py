"""The nginx example (deploy/nginx-naibot.conf): HSTS and security headers, a default server that
drops unknown Host names, a slow bucket for logins, explicit TLS settings, and the API's own size
limits (security L12).

The directives are read from the file; where nginx is installed, ``nginx -t`` checks the whole
file too (with throwaway certificates in place of Let's Encrypt's).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tasks.launch import ROOT
from tests.fixtures.tls_files import make_tls_files

CONF = ROOT / "deploy" / "nginx-naibot.conf"


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def blocks(text: str, opener: str) -> list[str]:
    """The bodies of every ``<opener> {...}`` block (braces balanced)."""
    found, start = [], 0
    while (match := re.compile(re.escape(opener) + r"\s*\{").search(text, start)) is not None:
        depth, index = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            index += 1
        found.append(text[match.end():index - 1])
        start = index
    return found


def directives(block: str) -> list[str]:
    """The top-level directives of a block (nested blocks left out), whitespace normalised; a
    quoted ``;`` or brace (a CSP) belongs to its directive."""
    flat, depth, current, quote = [], 0, "", ""
    for char in block:
        if quote or char in "\"'":
            quote = "" if char == quote else quote or char
            if depth == 0:
                current += char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            current = ""
        elif depth == 0:
            if char == ";":
                flat.append(" ".join(current.split()))
                current = ""
            else:
                current += char
    return flat


TEXT = _strip_comments(CONF.read_text())
SERVERS = blocks(TEXT, "server")


def _server(name_line: str, listen: str) -> str:
    matches = [s for s in SERVERS if name_line in directives(s) and any(d.startswith(listen) for d in directives(s))]
    assert len(matches) == 1, f"one server with {name_line!r} and {listen!r}"
    return matches[0]


HTTPS = _server("server_name bot.example.org", "listen 443 ssl")


def test_a_default_server_drops_unknown_host_names() -> None:
    default = _server("server_name _", "listen 443 ssl default_server")
    said = directives(default)
    assert {"listen 80 default_server", "listen [::]:80 default_server", "listen [::]:443 ssl default_server",
            "ssl_reject_handshake on", "return 444"} <= set(said)
    redirect = _server("server_name bot.example.org", "listen 80")
    assert "return 301 https://bot.example.org$request_uri" in directives(redirect), "never redirect to $host"


def test_every_answer_carries_hsts_and_the_security_headers() -> None:
    said = directives(HTTPS)
    headers = {d.split()[1]: d for d in said if d.startswith("add_header ")}
    assert re.search(r'max-age=(\d+)', headers["Strict-Transport-Security"])
    assert int(re.search(r"max-age=(\d+)", headers["Strict-Transport-Security"]).group(1)) >= 31536000
    assert '"nosniff"' in headers["X-Content-Type-Options"]
    assert '"DENY"' in headers["X-Frame-Options"]
    assert '"same-origin"' in headers["Referrer-Policy"]
    csp = headers["Content-Security-Policy"]
    for part in ("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'",
                 "form-action 'self'"):
        assert part in csp
    assert all(d.endswith(" always") for d in headers.values()), "error pages need the headers too"
    # add_header in a location would silently drop every server-level header there.
    assert not [loc for loc in blocks(HTTPS, "location") if "add_header" in loc]


def test_logins_have_their_own_slow_rate_limit() -> None:
    zones = [d for d in directives(TEXT) if d.startswith("limit_req_zone")]
    login_zone = next(d for d in zones if "zone=naibot_login" in d)
    rate = re.search(r"rate=(\d+)r/m", login_zone)
    assert rate and int(rate.group(1)) <= 10, login_zone
    login = blocks(HTTPS, "location = /login")
    assert len(login) == 1
    assert any(d.startswith("limit_req zone=naibot_login") for d in directives(login[0]))
    images = blocks(HTTPS, "location /static/images/")[0]
    assert any(d.startswith("limit_req zone=") for d in directives(images))


def test_tls_settings_are_explicit() -> None:
    said = set(directives(HTTPS))
    assert {"ssl_protocols TLSv1.2 TLSv1.3", "ssl_session_tickets off", "ssl_prefer_server_ciphers off"} <= said
    ciphers = next(d for d in said if d.startswith("ssl_ciphers "))
    assert all(c.startswith("ECDHE-") and ("GCM" in c or "CHACHA20" in c) for c in ciphers.split()[1].split(":"))


def test_request_sizes_match_the_apis_own_limits() -> None:
    said = set(directives(HTTPS))
    assert "client_max_body_size 64k" in said
    assert "large_client_header_buffers 4 16k" in said


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (Debian package nginx-light)")
def test_nginx_accepts_the_file(tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path)
    site = CONF.read_text().replace("/etc/letsencrypt/live/bot.example.org/fullchain.pem", str(tls.cert)) \
        .replace("/etc/letsencrypt/live/bot.example.org/privkey.pem", str(tls.key))
    (tmp_path / "naibot.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/naibot.conf;\n}}\n")
    checked = subprocess.run(["nginx", "-t", "-q", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                              "-e", "stderr"], capture_output=True, text=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stderr
    assert "[warn]" not in checked.stderr and "[emerg]" not in checked.stderr, checked.stderr
