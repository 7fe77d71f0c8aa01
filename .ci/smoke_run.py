"""Wait for `make run` to serve, then sign in as the demo supervisor. Usage: smoke_run.py URL"""

from __future__ import annotations

import http.cookiejar
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

base = sys.argv[1]
jar = http.cookiejar.CookieJar()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, D102
        return None


opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

deadline = time.monotonic() + 180
while True:
    try:
        page = opener.open(f"{base}/login", timeout=5).read().decode()
        break
    except (urllib.error.URLError, ConnectionError):
        if time.monotonic() > deadline:
            sys.exit("make run did not serve /login within 180 s")
        time.sleep(1)

token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
form = urllib.parse.urlencode(
    {"email": "supervisor@demo.test", "password": "demo1234", "csrf_token": token}
).encode()
try:
    opener.open(f"{base}/login", data=form, timeout=10)
    sys.exit("sign-in did not redirect")
except urllib.error.HTTPError as response:
    if response.code != 302 or response.headers["Location"] != "/":
        sys.exit(f"sign-in failed: {response.code} {response.headers.get('Location')}")
home = opener.open(f"{base}/", timeout=10).read().decode()
assert "My teams" in home, "the supervisor's home page did not open"
print("make run: /login served, supervisor@demo.test signed in")
