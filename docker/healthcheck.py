"""Container health check: GET /healthz on the local gunicorn; exit 0 only on 200.

Django checks the Host header against ALLOWED_HOSTS, so the request names the first allowed host.
/healthz is exempt from the HTTPS redirect, and answers 503 when the database or the broker is down.
"""

import os
import sys
import urllib.error
import urllib.request


def host() -> str:
    first = (os.environ.get("ALLOWED_HOSTS") or "localhost").split(",")[0].strip()
    if first in ("", "*"):
        return "localhost"
    return first.lstrip(".")  # ".example.org" allows every subdomain, and the domain itself


def main() -> int:
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz", headers={"Host": host(), "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310 (fixed local URL)
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"healthz: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
