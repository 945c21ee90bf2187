# A stand-in for Buildbot's web UI package (buildbot-www), which Debian does
# not ship.  Buildbot's master refuses to start its web server, and with it
# the REST API that `git try` talks to, unless a www plugin named "base" is
# installed.  This one serves a single page and no UI; the REST API under
# /api/v2 is Buildbot's own and complete.
#
# Put the folder holding this package (contrib/buildbot/www-stub) on
# PYTHONPATH when starting the master; the *.dist-info folder beside it
# registers the entry point.
from buildbot.www.plugin import Application

ep = Application(__name__, "REST API only (no web UI installed)", ui=False)
