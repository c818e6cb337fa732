#!/usr/bin/env python3
"""Post a report as the one comment of a pull request (GitHub) or merge
request (GitLab), or edit it when it is there: netrig-pr.sh calls it.

    pr-comment.py github|gitlab MARKER FILE

The comment is the one whose body starts with MARKER and that the same
account wrote (GitHub: NETRIG_PR_COMMENT_AUTHOR, default the login of
GITHUB_TOKEN, github-actions[bot]; GitLab: the user of the token), so a
comment someone else wrote with the marker in it is never edited.

GitHub: GITHUB_TOKEN (the workflow needs `pull-requests: write`),
GITHUB_REPOSITORY, the pull request's number from GITHUB_EVENT_PATH (or
NETRIG_PR_NUMBER), GITHUB_API_URL (default https://api.github.com).
GitLab: NETRIG_GITLAB_TOKEN (a project access token with the api scope:
CI_JOB_TOKEN may not write notes), CI_API_V4_URL, CI_PROJECT_ID,
CI_MERGE_REQUEST_IID.
NETRIG_PR_COMMENT=dry prints the requests that would change something
instead of sending them (the reads are made).

Standard library only. Exit status 0 posted, 1 not (the reason on stderr).
"""
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

# GitHub refuses a comment of more than 65,536 characters, GitLab a note of
# more than 1,000,000; past that the comment says where the rest is.
LIMITS = {"github": 65536, "gitlab": 1000000}
CUT = "\n\n(cut here: the whole report is in the job's artifacts)\n"
PAGE = 100
MAX_PAGES = 50  # 5,000 comments: a pull request past that is not read further


class Failure(Exception):
    pass


def env(name, default=None):
    value = os.environ.get(name, default)
    if not value:
        raise Failure(f"{name} is not set")
    return value


def request(method, url, headers, body=None):
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers = dict(headers, **{"Content-Type": "application/json"})
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read()
    except urllib.error.HTTPError as e:
        detail = e.read()[:300].decode("utf-8", "replace")
        raise Failure(f"{method} {url}: HTTP {e.code} {detail}") from None
    except (urllib.error.URLError, OSError) as e:
        raise Failure(f"{method} {url}: {e}") from None
    try:
        return json.loads(text) if text else None
    except ValueError:
        raise Failure(f"{method} {url}: the answer is not JSON") from None


def pages(url, headers):
    sep = "&" if "?" in url else "?"
    for page in range(1, MAX_PAGES + 1):
        items = request("GET", f"{url}{sep}per_page={PAGE}&page={page}", headers)
        if not isinstance(items, list):
            raise Failure(f"GET {url}: not a list")
        yield from items
        if len(items) < PAGE:
            return


class GitHub:
    def __init__(self):
        self.api = os.environ.get("GITHUB_API_URL") or "https://api.github.com"
        self.repo = env("GITHUB_REPOSITORY")
        number = os.environ.get("NETRIG_PR_NUMBER")
        if not number:
            with open(env("GITHUB_EVENT_PATH"), encoding="utf-8") as f:
                event = json.load(f)
            number = (event.get("pull_request") or {}).get("number")
            if not number:
                raise Failure("the event is not a pull request's (no pull_request.number)")
        self.number = int(number)
        self.author = os.environ.get("NETRIG_PR_COMMENT_AUTHOR") or "github-actions[bot]"
        self.headers = {
            "Authorization": "Bearer " + env("GITHUB_TOKEN"),
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "netrig-pr",
        }

    def find(self, marker):
        url = f"{self.api}/repos/{self.repo}/issues/{self.number}/comments"
        for c in pages(url, self.headers):
            if (c.get("body") or "").startswith(marker) and (c.get("user") or {}).get("login") == self.author:
                return c["id"]
        return None

    def create(self):
        return "POST", f"{self.api}/repos/{self.repo}/issues/{self.number}/comments"

    def update(self, cid):
        return "PATCH", f"{self.api}/repos/{self.repo}/issues/comments/{cid}"


class GitLab:
    def __init__(self):
        self.api = env("CI_API_V4_URL")
        project = urllib.parse.quote(env("CI_PROJECT_ID"), safe="")
        self.base = f"{self.api}/projects/{project}/merge_requests/{int(env('CI_MERGE_REQUEST_IID'))}/notes"
        self.headers = {"PRIVATE-TOKEN": env("NETRIG_GITLAB_TOKEN"), "User-Agent": "netrig-pr"}

    def find(self, marker):
        me = request("GET", f"{self.api}/user", self.headers)
        uid = (me or {}).get("id")
        for n in pages(self.base, self.headers):
            if (n.get("body") or "").startswith(marker) and (n.get("author") or {}).get("id") == uid:
                return n["id"]
        return None

    def create(self):
        return "POST", self.base

    def update(self, nid):
        return "PUT", f"{self.base}/{nid}"


def main(argv):
    if len(argv) != 4 or argv[1] not in ("github", "gitlab"):
        print("usage: pr-comment.py github|gitlab MARKER FILE", file=sys.stderr)
        return 2
    kind, marker, path = argv[1:]
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            body = f.read()
        if not body.startswith(marker):
            body = marker + "\n" + body
        limit = LIMITS[kind]
        if len(body) > limit:
            body = body[: limit - len(CUT)] + CUT
        site = GitHub() if kind == "github" else GitLab()
        cid = site.find(marker)
        method, url = site.update(cid) if cid is not None else site.create()
        if os.environ.get("NETRIG_PR_COMMENT") == "dry":
            print(f"pr-comment: would {method} {url} ({len(body)} characters)")
            return 0
        request(method, url, site.headers, {"body": body})
        print(f"pr-comment: {'edited' if cid is not None else 'posted'} the comment ({method} {url})")
        return 0
    except (Failure, OSError, ValueError) as e:
        print(f"pr-comment: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
