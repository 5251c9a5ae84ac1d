#!/usr/bin/env python3
"""How much memory the API process gains while it receives a 200 MB upload.

Starts the real app (SQLite + local files in a temporary folder, uvicorn) in a
subprocess, signs up a firm, creates an entity, warms up with a small upload, then
streams a 200 MiB multipart upload from a generator and reports the server's resident
memory: before, peak during (VmHWM, reset before the upload), and after. Not a test:
it prints figures; the target is a growth under 50 MB.

    .venv/bin/python scripts/bench_upload_memory.py [--mib 200] [--storage-url s3://...]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOUNDARY = "benchboundary7MA4YWxkTrZu0gW"
BLOCK = os.urandom(1024 * 1024)  # repeated: the server's cost does not depend on entropy


def serve(port: int, data_dir: str, storage_url: str | None) -> None:
    """The server side (run in the subprocess)."""
    import uvicorn

    from practice_api.app import create_app
    from practice_api.schema import upgrade_to_head
    from practice_api.settings import Settings

    settings = Settings(
        environment="test",
        data_dir=Path(data_dir),
        seed_demo=False,
        run_dispatcher=False,
        password_hash_rounds=1,
        max_upload_bytes=1024 * 1024 * 1024,
        storage_url=storage_url,
    )
    upgrade_to_head(settings.resolved_database_url)
    app = create_app(settings)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def rss_kib(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def reset_peak(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to VmRSS
        return True
    except OSError:
        return False


def multipart(total: int, digest: hashlib._Hash) -> Iterator[bytes]:
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="big-scan.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    head = b"%PDF-1.7\n"
    digest.update(head)
    yield head
    left = total - len(head)
    while left > 0:
        chunk = BLOCK[: min(len(BLOCK), left)]
        digest.update(chunk)
        left -= len(chunk)
        yield chunk
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=200, help="upload size in MiB")
    parser.add_argument("--storage-url", default=None, help="PRACTICE_STORAGE_URL to use")
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1], args.storage_url)
        return 0

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as data_dir:
        command = [sys.executable, __file__, "--serve", str(port), data_dir]
        if args.storage_url:
            command += ["--storage-url", args.storage_url]
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
        server = subprocess.Popen(command, cwd=ROOT, env=env)
        try:
            return run_benchmark(server.pid, f"http://127.0.0.1:{port}", args.mib)
        finally:
            server.terminate()
            server.wait(15)


def run_benchmark(pid: int, base: str, mib: int) -> int:
    import httpx

    with httpx.Client(base_url=base, timeout=600) as client:
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        signup = client.post(
            "/v1/firms",
            json={
                "firm_name": "Bench Audit",
                "admin_name": "Bench Admin",
                "admin_email": "bench@example.com",
                "admin_password": "correct horse battery",
            },
        )
        signup.raise_for_status()
        token = client.post(
            "/v1/auth/token",
            data={"username": "bench@example.com", "password": "correct horse battery"},
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        entity = client.post("/v1/entities", json={"name": "Bench Client"}, headers=auth)
        entity.raise_for_status()
        headers = {**auth, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
        url = f"/v1/entities/{entity.json()['id']}/files"

        warm = client.post(url, content=multipart(1024 * 1024, hashlib.sha256()), headers=headers)
        warm.raise_for_status()
        time.sleep(0.5)
        before = rss_kib(pid)["VmRSS"]
        peak_reset = reset_peak(pid)
        sampled_peak = before
        done = threading.Event()

        def sample() -> None:
            nonlocal sampled_peak
            while not done.is_set():
                sampled_peak = max(sampled_peak, rss_kib(pid)["VmRSS"])
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        digest = hashlib.sha256()
        total = mib * 1024 * 1024
        started = time.monotonic()
        response = client.post(url, content=multipart(total, digest), headers=headers)
        elapsed = time.monotonic() - started
        done.set()
        sampler.join()
        response.raise_for_status()
        body = response.json()
        after = rss_kib(pid)
        peak = max(after["VmHWM"] if peak_reset else 0, sampled_peak)

    assert body["size"] == total, body
    assert body["sha256"] == digest.hexdigest(), "stored bytes differ from the sent bytes"
    growth_mb = (peak - before) / 1024
    print(f"uploaded {total / 1e6:.0f} MB ({mib} MiB) in {elapsed:.1f} s, sha256 verified")
    print(f"server RSS before upload: {before / 1024:.1f} MiB")
    print(
        f"server peak RSS during upload: {peak / 1024:.1f} MiB"
        f" ({'VmHWM after reset' if peak_reset else 'sampled every 20 ms'})"
    )
    print(f"server RSS after upload: {after['VmRSS'] / 1024:.1f} MiB")
    print(f"memory growth: {growth_mb:.1f} MiB (target < 50 MB)")
    return 0 if growth_mb < 50 else 1


if __name__ == "__main__":
    raise SystemExit(main())
