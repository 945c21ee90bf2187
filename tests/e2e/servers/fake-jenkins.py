#!/usr/bin/python3
"""A loopback stand-in for Jenkins that answers as Jenkins' documented REST
API does, for the parts `git try` uses:

  GET  <root>/crumbIssuer/api/json          crumb and a session cookie
  POST <root>/job/<job>/buildWithParameters multipart or form; 201, Location
  GET  <root>/queue/item/<n>/api/json        WaitingItem (why), LeftItem
                                             (cancelled, executable)
  GET  <root>/job/<job>/<n>/api/json         building, result, url,
                                             description (?tree= honoured)
  GET  <root>/job/<job>/<n>/logText/progressiveText?start=
                                             X-Text-Size, X-More-Data
  GET  <root>/job/<job>/<n>/consoleText      the whole log, text/plain
  GET  <root>/job/<job>/<n>/console          a page

Security as Jenkins does it: with --user, requests need HTTP basic auth
(anonymous gets 403 "Authentication required", a wrong secret 401
"Invalid password/token for user: <name>").  An API token (--token) is
exempt from CSRF crumbs; a password (--password) or anonymous access needs
the crumb from crumbIssuer in the `Jenkins-Crumb` header, with the session
cookie that came with it, else 403 "No valid crumb was included in the
request".  --no-csrf turns crumbs off (crumbIssuer answers 404).

The build: the queue item waits --quiet seconds (the `delay` parameter
overrides, as in Jenkins, e.g. delay=0sec), then the build runs --duration
seconds.  With --script, the build runs that program instead (environment:
BASE, BRANCH, PATCH = the received patch.diff file, WORKSPACE, BUILD_NUMBER),
its output is the console log and its exit status 0 means SUCCESS, anything
else FAILURE.  --result forces a result; --console adds console text;
--description sets the build description; --cancel cancels queue items.
What each build received is kept under --state/<n>/ (patch.diff,
params.json).
"""

import base64
import email.parser
import email.policy
import hashlib
import hmac
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import trylib  # noqa: E402

JETTY_PAGE = """<html>
<head>
<meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>
<title>Error {status} {message}</title>
</head>
<body><h2>HTTP ERROR {status} {message}</h2>
<table>
<tr><th>URI:</th><td>{uri}</td></tr>
<tr><th>STATUS:</th><td>{status}</td></tr>
<tr><th>MESSAGE:</th><td>{message}</td></tr>
<tr><th>SERVLET:</th><td>Stapler</td></tr>
</table>
<hr/><a href="https://eclipse.org/jetty">Powered by Jetty:// 10.0.18</a><hr/>

</body>
</html>
"""

AUTH_REQUIRED_PAGE = """<html><head><meta http-equiv='refresh' content='1;url=/login?from=%2F'/><script id='redirect' data-redirect-url='/login?from=%2F' src='/static/abc/scripts/redirect.js'></script></head><body style='background-color:white; color:white;'>
Authentication required
<!--
-->

</body></html>
"""


def html_escape(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


class Build:
    def __init__(self, number, params, patch, state_dir):
        self.number = number
        self.params = params
        self.patch = patch
        self.log = ""
        self.result = None
        self.building = True
        self.description = None
        self.dir = os.path.join(state_dir, str(number)) if state_dir else None


class Jenkins(trylib.Server):
    def __init__(self, handler, args):
        super().__init__(handler, args)
        self.queue = {}     # item id -> dict
        self.builds = {}    # number -> Build
        self.next_item = 1
        self.next_build = 1
        self.sessions = {}  # session id -> crumb
        self.salt = secrets.token_hex(8)

    def root(self, host):
        if self.args.root_url:
            return self.args.root_url.rstrip("/") + "/"
        return "http://%s%s/" % (host, self.args.prefix)

    def crumb_for(self, session):
        return hmac.new(self.salt.encode(), session.encode(),
                        hashlib.sha256).hexdigest()[:32]

    def enqueue(self, params, patch, delay):
        with self.lock:
            item = self.next_item
            self.next_item += 1
            self.queue[item] = {
                "id": item, "since": time.time(), "delay": delay,
                "params": params, "patch": patch, "build": None,
                "cancelled": bool(self.args.cancel),
            }
        return item

    def tick(self, item_id):
        """Moves a queue item on: once its quiet period is over, it starts."""
        with self.lock:
            item = self.queue.get(item_id)
            if not item or item["cancelled"] or item["build"]:
                return item
            if time.time() - item["since"] < item["delay"]:
                return item
            number = self.next_build
            self.next_build += 1
            b = Build(number, item["params"], item["patch"], self.args.state)
            self.builds[number] = b
            item["build"] = number
        self.start(b)
        return item

    def start(self, b):
        if b.dir:
            os.makedirs(b.dir, exist_ok=True)
            with open(os.path.join(b.dir, "params.json"), "w") as f:
                json.dump(b.params, f, sort_keys=True)
            if b.patch is not None:
                with open(os.path.join(b.dir, "patch.diff"), "wb") as f:
                    f.write(b.patch)
        b.log = "Started by user %s\nRunning as SYSTEM\n" % (
            self.args.user or "anonymous")
        threading.Thread(target=self.run, args=(b,), daemon=True).start()

    def run(self, b):
        try:
            self.run_build(b)
        except Exception as e:  # a broken script is a failed build
            with self.lock:
                b.log += "fake-jenkins: %s\nFinished: FAILURE\n" % e
                b.result = "FAILURE"
                b.building = False

    def run_build(self, b):
        args = self.args
        result = "SUCCESS"
        if args.script:
            ws = tempfile.mkdtemp(prefix="fake-jenkins-ws.")
            patch_path = os.path.join(ws, "patch.diff")
            with open(patch_path, "wb") as f:
                f.write(b.patch or b"")
            env = dict(os.environ, BASE=b.params.get("base", ""),
                       BRANCH=b.params.get("branch", ""), PATCH=patch_path,
                       WORKSPACE=ws, BUILD_NUMBER=str(b.number))
            p = subprocess.Popen([args.script], cwd=ws, env=env,
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT)
            for line in p.stdout:
                with self.lock:
                    b.log += line.decode("utf-8", "replace")
            rc = p.wait()
            result = "SUCCESS" if rc == 0 else "FAILURE"
            subprocess.call(["rm", "-rf", ws])
        else:
            time.sleep(args.duration)
        with self.lock:
            if args.console:
                b.log += args.console.replace("\\n", "\n") + "\n"
            if args.result:
                result = args.result
            if args.description is not None:
                b.description = args.description
            b.log += "Finished: %s\n" % result
            b.result = result
            b.building = False


def parse_tree(spec):
    """Top-level field names of a ?tree= value ("a,b[c,d],e{0,1}")."""
    names, depth, cur = [], 0, ""
    for ch in spec:
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            names.append(cur)
            cur = ""
            continue
        if depth == 0 and ch not in "]}":
            cur += ch
    names.append(cur)
    return {n.strip() for n in names if n.strip()}


def parse_delay(v):
    m = re.match(r"^(\d+)\s*(sec|secs|s)?$", v or "")
    return float(m.group(1)) if m else None


class JenkinsHandler(trylib.Handler):
    def error_body(self, status, text):
        page = JETTY_PAGE.format(status=status, message=html_escape(text),
                                 uri=html_escape(self.path.split("?")[0]))
        return "text/html;charset=iso-8859-1", page

    def authenticate(self):
        """Returns "token", "password", "anonymous", or None after answering
        401/403 itself."""
        args = self.server.args
        auth = self.headers.get("Authorization")
        self.auth_user = None
        if auth and auth.startswith("Basic "):
            try:
                raw = base64.b64decode(auth[6:]).decode()
            except ValueError:
                raw = ":"
            user, _, secret = raw.partition(":")
            self.auth_user = user
            if args.user and user == args.user:
                if args.token and secret == args.token:
                    return "token"
                if args.password and secret == args.password:
                    return "password"
            self.send_error_page(401, "Invalid password/token for user: %s"
                                 % user)
            return None
        if args.user:
            self.send(403, AUTH_REQUIRED_PAGE, "text/html;charset=utf-8",
                      [("X-You-Are-Authenticated-As", "anonymous"),
                       ("X-Required-Permission", "hudson.model.Hudson.Read")])
            return None
        return "anonymous"

    def session(self):
        cookie = self.headers.get("Cookie") or ""
        for part in cookie.split(";"):
            k, _, v = part.strip().partition("=")
            if k.startswith("JSESSIONID."):
                return v
        return None

    def crumb_ok(self, how):
        if self.server.args.no_csrf or how == "token":
            return True
        sess = self.session()
        got = self.headers.get("Jenkins-Crumb")
        return bool(sess and got and
                    hmac.compare_digest(got, self.server.crumb_for(sess)))

    def route(self, method):
        args = self.server.args
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        query = urllib.parse.parse_qs(url.query)
        if not path.startswith(args.prefix + "/"):
            return self.send_error_page(404, "Not Found")
        path = path[len(args.prefix):]
        how = self.authenticate()
        if how is None:
            return
        host = self.headers.get("Host") or "127.0.0.1"
        root = self.server.root(host)
        job_path = "/" + "/".join("job/" + urllib.parse.quote(p)
                                  for p in args.job.split("/"))

        if path == "/crumbIssuer/api/json":
            if args.no_csrf:
                return self.send_error_page(404, "Not Found")
            sess = self.session()
            headers = []
            if not sess:
                sess = secrets.token_hex(12)
                headers.append(("Set-Cookie", "JSESSIONID.%s=node0%s.node0; "
                                "Path=/; HttpOnly" % (self.server.salt[:8],
                                                      sess)))
                sess = "node0%s.node0" % sess
            return self.send_json(200, {
                "_class": "hudson.security.csrf.DefaultCrumbIssuer",
                "crumb": self.server.crumb_for(sess),
                "crumbRequestField": "Jenkins-Crumb"}, headers)

        if path in (job_path + "/buildWithParameters", job_path + "/build"):
            if method != "POST":
                return self.send_error_page(405, "Method Not Allowed")
            if not self.crumb_ok(how):
                return self.send_error_page(
                    403, "No valid crumb was included in the request")
            return self.build_with_parameters(root, query)

        m = re.match(r"^/queue/item/(\d+)/api/json$", path)
        if m and method == "GET":
            return self.queue_item(root, int(m.group(1)))

        m = re.match("^" + re.escape(job_path) + r"/(\d+)/(.*)$", path)
        if m and method == "GET":
            b = self.server.builds.get(int(m.group(1)))
            if not b:
                return self.send_error_page(404, "Not Found")
            rest = m.group(2)
            if rest == "api/json":
                return self.build_json(root, b, query)
            if rest == "logText/progressiveText":
                return self.progressive_text(b, query)
            if rest == "consoleText":
                with self.server.lock:
                    data = b.log.encode()
                return self.send(200, data, "text/plain;charset=utf-8")
            if rest in ("", "console"):
                return self.send(200, "<html><title>#%d</title></html>"
                                 % b.number, "text/html;charset=utf-8")
        if path.startswith("/job/"):
            return self.send_error_page(404, "Not Found")
        return self.send_error_page(404, "Not Found")

    def build_with_parameters(self, root, query):
        args = self.server.args
        body = self.read_body()
        ctype = self.headers.get("Content-Type") or ""
        params = {k: v[-1] for k, v in query.items()}
        patch = None
        if ctype.startswith("multipart/form-data"):
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
            if not msg.is_multipart():
                return self.send_error_page(400, "Bad multipart body")
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                data = part.get_payload(decode=True) or b""
                if part.get_filename() is not None:
                    if name == args.file_param:
                        patch = data
                else:
                    params[name] = data.decode("utf-8", "replace")
        elif ctype.startswith("application/x-www-form-urlencoded"):
            for k, v in urllib.parse.parse_qs(body.decode()).items():
                params[k] = v[-1]
        delay = parse_delay(params.pop("delay", None))
        if delay is None:
            delay = args.quiet
        # Jenkins ignores parameters the job does not define
        defined = {"base", "branch", "author", "reason", "try_id"}
        kept = {k: v for k, v in params.items() if k in defined}
        item = self.server.enqueue(kept, patch, delay)
        self.send(201, b"", headers=[("Location",
                                      "%squeue/item/%d/" % (root, item))])

    def queue_item(self, root, item_id):
        item = self.server.tick(item_id)
        if not item:
            return self.send_error_page(404, "Not Found")
        task = {"_class": "hudson.model.FreeStyleProject",
                "name": self.server.args.job.split("/")[-1],
                "url": root + "job/%s/" % self.server.args.job,
                "color": "blue"}
        common = {"actions": [{"_class": "hudson.model.ParametersAction"}],
                  "blocked": False, "id": item["id"],
                  "inQueueSince": int(item["since"] * 1000),
                  "params": "".join("\n%s=%s" % kv for kv in
                                    sorted(item["params"].items())),
                  "stuck": False, "task": task,
                  "url": "queue/item/%d/" % item["id"]}
        if item["cancelled"]:
            obj = dict(common, _class="hudson.model.Queue$LeftItem",
                       buildable=False, why=None, cancelled=True,
                       executable=None)
        elif item["build"]:
            n = item["build"]
            obj = dict(common, _class="hudson.model.Queue$LeftItem",
                       buildable=False, why=None, cancelled=False,
                       executable={"_class": "hudson.model.FreeStyleBuild",
                                   "number": n,
                                   "url": root + "job/%s/%d/" % (
                                       self.server.args.job, n)})
        else:
            left = item["delay"] - (time.time() - item["since"])
            obj = dict(common, _class="hudson.model.Queue$WaitingItem",
                       buildable=False,
                       why="In the quiet period. Expires in %.1f sec" % left,
                       timestamp=int((item["since"] + item["delay"]) * 1000))
        self.send_json(200, obj)

    def build_json(self, root, b, query):
        with self.server.lock:
            full = {"_class": "hudson.model.FreeStyleBuild",
                    "building": b.building, "result": b.result,
                    "number": b.number, "description": b.description,
                    "displayName": "#%d" % b.number,
                    "url": root + "job/%s/%d/" % (self.server.args.job,
                                                   b.number)}
        if "tree" in query:
            keep = parse_tree(query["tree"][-1])
            full = {k: v for k, v in full.items()
                    if k in keep or k == "_class"}
        self.send_json(200, full)

    def progressive_text(self, b, query):
        try:
            start = int(query.get("start", ["0"])[-1])
        except ValueError:
            start = 0
        with self.server.lock:
            data = b.log.encode()
            building = b.building
        headers = [("X-Text-Size", str(len(data)))]
        if building:
            headers.append(("X-More-Data", "true"))
        self.send(200, data[start:], "text/plain;charset=utf-8", headers)


def main():
    p = trylib.common_args("fake Jenkins for git try tests")
    p.add_argument("--prefix", default="", help="context path, e.g. /jenkins")
    p.add_argument("--root-url", help="Jenkins URL as configured")
    p.add_argument("--job", default="try", help="job name, folders with /")
    p.add_argument("--file-param", default="patch.diff")
    p.add_argument("--user")
    p.add_argument("--token")
    p.add_argument("--password")
    p.add_argument("--no-csrf", action="store_true")
    p.add_argument("--quiet", type=float, default=5.0,
                   help="quiet period in seconds (delay= overrides)")
    p.add_argument("--duration", type=float, default=0.2)
    p.add_argument("--script")
    p.add_argument("--result", choices=["SUCCESS", "UNSTABLE", "FAILURE",
                                        "NOT_BUILT", "ABORTED"])
    p.add_argument("--console", default="")
    p.add_argument("--description")
    p.add_argument("--cancel", action="store_true")
    args = p.parse_args()
    args.prefix = args.prefix.rstrip("/")
    if args.script:
        args.script = os.path.abspath(args.script)
    trylib.serve(Jenkins(JenkinsHandler, args))


if __name__ == "__main__":
    main()
