#!/usr/bin/python3
"""A loopback CI that takes `git try` webhooks, as docs/try.md ("`jenkins` and `webhook`: over HTTP")
describes the protocol (any receiver in front of a CI answers the same way):

  POST <path>          the try as JSON, signed with X-Try-Signature:
                       sha256=<HMAC-SHA256 of the body>; a wrong or missing
                       signature is 401, a malformed document 400.  Answers
                       202 {"status_url", "url", "jobs"}; the same id
                       again answers 200 with the same document (dedupe).
  GET  /status/<id>    {"state", "url", "detail", "jobs": [...]}; a job
                       that did not pass also has "log" (the last 30
                       lines of its output) and "log_url"
  GET  /builds/<id>    a page
  GET  /builds/<id>/<job>/log  the job's whole output, text

Each job of a try (--jobs, default one called "build") is queued for
--queue seconds, then runs --duration seconds.  With --script the program
runs instead (environment: BASE, BRANCH, PATCH = the decoded patch file,
TRY_ID, WORKSPACE, JOB); exit status 0 is passed, 1 failed, 2 not_applied,
anything else error, and the last line of its output is the detail of a
job that did not pass, its last 30 lines the log.  --result forces every job's state; --job-result
NAME=STATE one job's.  What each try sent is kept under --state/<id>.json
and --state/<id>.patch.
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import trylib  # noqa: E402

FINAL = {0: "passed", 1: "failed", 2: "not_applied"}


class Try:
    def __init__(self, doc, patch, jobs):
        self.doc = doc
        self.patch = patch
        self.since = time.time()
        self.jobs = {name: {"state": "queued", "detail": None}
                     for name in jobs}
        self.order = list(jobs)
        self.started = False


class WebhookCI(trylib.Server):
    def __init__(self, handler, args):
        super().__init__(handler, args)
        self.tries = {}
        self.secret = None
        if args.secret_file:
            with open(args.secret_file, "rb") as f:
                self.secret = f.read().rstrip(b"\r\n")

    def tick(self, t):
        with self.lock:
            if t.started or time.time() - t.since < self.args.queue:
                return
            t.started = True
            for j in t.jobs.values():
                j["state"] = "running"
        for name in t.order:
            threading.Thread(target=self.run, args=(t, name),
                             daemon=True).start()

    def run(self, t, name):
        try:
            self.run_job(t, name)
        except Exception as e:  # a broken script is an error of the job
            with self.lock:
                t.jobs[name] = {"state": "error", "detail": str(e)}

    def run_job(self, t, name):
        args = self.args
        state, detail, output = "passed", None, None
        if args.script:
            ws = tempfile.mkdtemp(prefix="fake-ci-ws.")
            patch = os.path.join(ws, "patch.diff")
            with open(patch, "wb") as f:
                f.write(t.patch)
            env = dict(os.environ, BASE=t.doc["base"], BRANCH=t.doc["branch"],
                       PATCH=patch, TRY_ID=t.doc["id"], WORKSPACE=ws, JOB=name)
            p = subprocess.run([args.script], cwd=ws, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            state = FINAL.get(p.returncode, "error")
            lines = p.stdout.decode("utf-8", "replace").strip().splitlines()
            if state != "passed" and lines:
                detail = lines[-1]
                output = lines
            subprocess.call(["rm", "-rf", ws])
        else:
            time.sleep(args.duration)
        if args.result:
            state = args.result
        for spec in args.job_result:
            n, _, s = spec.partition("=")
            if n == name:
                state = s
        with self.lock:
            t.jobs[name] = {"state": state, "detail": detail,
                            "output": output}


def overall(states):
    for s in ("error", "not_applied", "failed"):
        if s in states:
            return s
    if "running" in states:
        return "running"
    if "queued" in states:
        return "queued"
    return "passed"


class WebhookHandler(trylib.Handler):
    server_version = "fake-ci/1"

    def error_body(self, status, text):
        return "application/json", json.dumps({"error": text})

    def root(self):
        return "http://%s" % (self.headers.get("Host") or "127.0.0.1")

    def route(self, method):
        args = self.server.args
        path = urllib.parse.urlsplit(self.path).path
        if path == args.path:
            if method != "POST":
                return self.send_error_page(405, "use POST")
            return self.receive()
        m = re.match(r"^/status/([^/]+)$", path)
        if m and method == "GET":
            return self.status(m.group(1))
        m = re.match(r"^/builds/([^/]+)/([^/]+)/log$", path)
        if m and method == "GET" and m.group(1) in self.server.tries:
            out = self.server.tries[m.group(1)].jobs.get(m.group(2), {})
            return self.send(200, "\n".join(out.get("output") or []) + "\n",
                             "text/plain;charset=utf-8")
        m = re.match(r"^/builds/([^/]+)(?:/([^/]+))?$", path)
        if m and method == "GET" and m.group(1) in self.server.tries:
            return self.send(200, "<html><title>try %s</title></html>"
                             % m.group(1), "text/html")
        return self.send_error_page(404, "no such page: %s" % path)

    def receive(self):
        srv = self.server
        body = self.read_body()
        if srv.secret is not None:
            want = "sha256=" + hmac.new(srv.secret, body,
                                        hashlib.sha256).hexdigest()
            got = self.headers.get("X-Try-Signature") or ""
            if not hmac.compare_digest(want, got):
                return self.send_error_page(
                    401, "signature mismatch: X-Try-Signature does not "
                    "match the shared secret" if got else
                    "missing X-Try-Signature header")
        ctype = (self.headers.get("Content-Type") or "").split(";")[0]
        if ctype.strip() != "application/json":
            return self.send_error_page(415, "expected application/json")
        try:
            doc = json.loads(body)
        except ValueError as e:
            return self.send_error_page(400, "body is not JSON: %s" % e)
        err = validate(doc)
        if err:
            return self.send_error_page(400, err)
        ident = doc["id"]
        answer = {"status_url": "/status/%s" % ident,
                  "url": "%s/builds/%s" % (self.root(), ident)}
        if srv.args.absolute_status:
            answer["status_url"] = self.root() + answer["status_url"]
        if not srv.args.no_jobs and not srv.args.late_jobs:
            # the jobs it will run, so that a client shows them from the
            # start
            answer["jobs"] = [{"name": j, "state": "queued",
                               "url": "%s/builds/%s/%s" % (self.root(),
                                                           ident, j)}
                              for j in srv.args.jobs.split(",") if j]
        with srv.lock:
            if ident in srv.tries:
                again = True
            else:
                again = False
                patch = base64.b64decode(doc["patch"])
                jobs = [j for j in srv.args.jobs.split(",") if j]
                srv.tries[ident] = Try(doc, patch, jobs)
                if srv.args.state:
                    safe = re.sub(r"[^A-Za-z0-9._-]", "_", ident)
                    with open(os.path.join(srv.args.state, safe + ".json"),
                              "w") as f:
                        json.dump(doc, f, sort_keys=True)
                    with open(os.path.join(srv.args.state, safe + ".patch"),
                              "wb") as f:
                        f.write(patch)
        self.send_json(200 if again else 202, answer)

    def status(self, ident):
        srv = self.server
        t = srv.tries.get(ident)
        if not t:
            return self.send_error_page(404, "no try %s" % ident)
        srv.tick(t)
        base = "%s/builds/%s" % (self.root(), ident)
        with srv.lock:
            jobs = [{"name": n, "state": t.jobs[n]["state"],
                     "url": "%s/%s" % (base, n),
                     "detail": t.jobs[n]["detail"]} for n in t.order]
            for j in jobs:
                out = t.jobs[j["name"]].get("output")
                if out:
                    j["log"] = "\n".join(out[-30:]) + "\n"
                    j["log_url"] = "%s/log" % j["url"]
        obj = {"state": overall([j["state"] for j in jobs]), "url": base}
        if not srv.args.no_jobs:
            obj["jobs"] = jobs
        self.send_json(200, obj)


def validate(doc):
    if not isinstance(doc, dict):
        return "body is not a JSON object"
    for key in ("id", "base", "branch", "patch", "author", "reason"):
        if not isinstance(doc.get(key), str):
            return "missing string field %r" % key
    if not re.match(r"^[0-9a-f]{40}([0-9a-f]{24})?$", doc["base"]):
        return "base is not a full commit id"
    if not doc["id"] or len(doc["id"]) > 200:
        return "bad id"
    try:
        base64.b64decode(doc["patch"], validate=True)
    except binascii.Error:
        return "patch is not base64"
    return None


def main():
    p = trylib.common_args("fake webhook-driven CI for git try tests")
    p.add_argument("--path", default="/try")
    p.add_argument("--secret-file")
    p.add_argument("--jobs", default="build")
    p.add_argument("--queue", type=float, default=0.1)
    p.add_argument("--duration", type=float, default=0.2)
    p.add_argument("--script")
    p.add_argument("--result", choices=["passed", "failed", "not_applied",
                                        "error"])
    p.add_argument("--job-result", action="append", default=[])
    p.add_argument("--absolute-status", action="store_true")
    p.add_argument("--no-jobs", action="store_true",
                   help="status answers carry no jobs list")
    p.add_argument("--late-jobs", action="store_true",
                   help="the answer to the try lists no jobs; status "
                   "answers do")
    args = p.parse_args()
    if args.script:
        args.script = os.path.abspath(args.script)
    trylib.serve(WebhookCI(WebhookHandler, args))


if __name__ == "__main__":
    main()
