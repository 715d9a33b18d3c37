"""Sign in as the demo key worker over HTTP and fetch the first page; fail loudly otherwise."""

import re
import sys
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

base = sys.argv[1]
jar = CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
page = opener.open(f"{base}/accounts/login/").read().decode()
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
data = urllib.parse.urlencode(
    {"username": "key_worker", "password": "ThinkFamily-demo-2026", "csrfmiddlewaretoken": token, "next": "/"}
).encode()
request = urllib.request.Request(f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"})
response = opener.open(request)
body = response.read().decode()
assert "Sign out" in body, f"not signed in: landed on {response.geturl()}"
assert "Claire Mackey" in body, "demo key worker's name missing from the page"
print(f"signed in as key_worker, landed on {response.geturl()} ({len(body)} bytes)")
