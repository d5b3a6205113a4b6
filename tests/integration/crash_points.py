#!/usr/bin/env python3
"""Crash-point driver for t_36: kills jitd (built with -DJIT_CRASH_POINTS) at
every step of grant, revoke, approve, a PAM session's close and expire,
iteration after iteration, and checks after each crash and restart that
every acknowledged grant and session close is there, every acknowledged
revocation holds, no record is half-written (an approved request always has
its grant, a pending one none; a session is open with no end or ended with
one), an expired grant never comes back, and the NSS snapshot never shows a
revoked account.

usage: crash_points.py WORLD JITD_CRASH JITCTL NSS_SO NSS_WRAPPER ITERATIONS [REQUESTER APPROVER]
With REQUESTER and APPROVER (local users; jitd's policy lets APPROVER
approve REQUESTER's requests for svc and deploy), approve is driven too."""
import json, os, random, re, signal, socket, subprocess, sys, time

world, jitd, jitctl, nss_so, nss_wrapper = sys.argv[1:6]
iterations = int(sys.argv[6])
requester, approver = (sys.argv[7], sys.argv[8]) if len(sys.argv) > 8 else (None, None)
sock, state, conf = f"{world}/jitd.sock", f"{world}/state", f"{world}/jitd.conf"
snapshot = f"{world}/nss.snapshot"
STEPS = ["received", "before-commit", "committed", "marked", "snapshot-written",
         "snapshot-published", "decided", "replied"]
EXPIRE_STEPS = ["before-commit", "committed", "marked", "snapshot-written", "snapshot-published"]
# The timers: a grant's expiry, the end of a session whose grant ended (when
# t_36 gives a PAM stack) and the NSS snapshot published at a window's edge.
TIMER_POINTS = [f"expire.{s}" for s in EXPIRE_STEPS] + \
    ["nss-edge.snapshot-written", "nss-edge.snapshot-published"]
OPERATIONS = ("grant", "revoke", "approve") if approver else ("grant", "revoke")
points = [f"{op}.{s}" for op in OPERATIONS for s in STEPS]
# A PAM session's close (pamtester under pam_wrapper, when t_36 gives the
# stack in CRASH_PAM_DIR): its steps that write no NSS snapshot.
pam_dir, pam_wrapper = os.environ.get("CRASH_PAM_DIR"), os.environ.get("CRASH_PAM_WRAPPER")
SESSION_STEPS = ["received", "before-commit", "committed", "marked", "decided", "replied"]
if pam_dir and pam_wrapper:
    points += [f"session-close.{s}" for s in SESSION_STEPS]
    TIMER_POINTS += ["session-end.before-commit", "session-end.committed", "session-end.marked"]
    END_SERVICE = "jit-crash-end"  # sshd's stack under a service no other grant covers
    with open(f"{pam_dir}/sshd") as src, open(f"{pam_dir}/{END_SERVICE}", "w") as dst:
        dst.write(src.read())
closed_pids = set()  # sessions whose close was acknowledged
ended_pids = set()  # sessions whose grant has ended: jitd must end them
nss_from = {}  # grant id -> start, for grants that start later (the NSS edge)

acked_active, acked_revoked, acked_expired, unknown = set(), set(), set(), set()
inflight = set()  # users with a grant in flight whose id never came back
failures = []
fired = 0
fired_by = {}  # SIGKILLs that came from the crash point, per point
missed = {}  # points whose iteration ended with our kill instead
totals = {"grants": 0, "revocations": 0, "approvals": 0, "closes": 0}  # acknowledged, over every segment
approved = {}  # request id -> grant id, for acknowledged approvals
asked = set()  # request ids whose approval was in flight when jitd died


def ctl(*args, timeout=5, user=None):
    cmd = [jitctl, "--socket", sock, "--timeout", "3000", *args]
    if user:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", *cmd]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def verify_requests(when, grants):
    # An approval is one transaction: the request approved with its grant,
    # or still pending with none.
    for rid in sorted(set(approved) | asked):
        rc, out = ctl("--json", "show", rid)
        if rc != 0:
            failures.append(f"{when}: show {rid} failed: {out}")
            continue
        r = json.loads(out)
        gid = r.get("grant_id")
        if rid in approved and (r["state"] != "approved" or gid != approved[rid]):
            failures.append(f"{when}: acknowledged approval of {rid} lost: {r['state']} {gid}")
        elif r["state"] == "approved" and gid not in grants:
            failures.append(f"{when}: {rid} is approved but its grant {gid} is missing")
        elif r["state"] == "pending" and gid:
            failures.append(f"{when}: {rid} is pending but names grant {gid}")
        elif r["state"] not in ("approved", "pending"):
            failures.append(f"{when}: {rid} is {r['state']}")
    # Checked once, after the restart that follows: from then on the grant
    # itself is followed in acked_active.
    asked.clear()
    approved.clear()


def old_sockets_gone():
    # jitd's NSS snapshot writer is a child that holds jitd's listening
    # sockets for the moment until it sees jitd gone and dies too.  Under
    # systemd the next jitd starts once the unit's control group is empty;
    # here, once nothing accepts on the old sockets any more.
    deadline = time.time() + 5
    while time.time() < deadline:
        live = False
        for path in (sock, sock + ".root"):
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(path)
                live = True
            except OSError:
                pass
            finally:
                s.close()
        if not live:
            return
        time.sleep(0.005)
    failures.append("the killed jitd's sockets still accept connections after 5 s")


def start(point=None, skip=0):
    old_sockets_gone()
    env = dict(os.environ)
    env.pop("JIT_CRASH_AT", None)
    if point:
        env["JIT_CRASH_AT"], env["JIT_CRASH_SKIP"] = point, str(skip)
    log = open(f"{world}/jitd.log", "a")
    p = subprocess.Popen([jitd, "--socket", sock, "--state-dir", state, "--config", conf],
                         stdout=log, stderr=log, env=env)
    for _ in range(400):
        if p.poll() is not None:
            failures.append(f"jitd exited at start ({p.returncode}) for {point}")
            return p
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock + ".root")
            s.close()
            return p
        except OSError:
            time.sleep(0.01)
    failures.append(f"jitd did not start for {point}")
    return p


def svc_resolves():
    env = dict(os.environ, LD_PRELOAD=nss_wrapper, NSS_WRAPPER_PASSWD=f"{world}/passwd",
               NSS_WRAPPER_GROUP=f"{world}/group", NSS_WRAPPER_MODULE_SO_PATH=nss_so,
               NSS_WRAPPER_MODULE_FN_PREFIX="jit", JIT_NSS_SNAPSHOT=snapshot)
    return subprocess.run(["getent", "passwd", "svc"], env=env,
                          capture_output=True).returncode == 0


def check_snapshot(when, running=False):
    # Every svc grant is known to have ended: the account must not resolve.
    svc_live = "svc" in inflight or any(g[1] == "svc" for g in acked_active | unknown)
    if not svc_live and svc_resolves():
        failures.append(f"{when}: the NSS snapshot shows svc, whose grants are all revoked")
    # A grant that started at its NSS edge while jitd was down or killed:
    # the snapshot jitd published when it came back shows the account.
    if not running:
        return
    started = [g for g in acked_active - unknown if g[0] in nss_from and nss_from[g[0]] < time.time()]
    if started and "svc" not in inflight and not svc_resolves():
        failures.append(f"{when}: svc's grant {started[0][0]} has started; the snapshot hides it")


def verify(when):
    rc, out = ctl("--json", "list", "--all")
    if rc != 0:
        failures.append(f"{when}: list failed: {out}")
        return
    grants = {g["id"]: g for g in json.loads(out)["grants"]}
    for g in grants.values():
        if not g.get("services") or g["user"] not in ("svc", "deploy") or not g.get("reason") \
                or g["not_after"] <= g["not_before"]:
            failures.append(f"{when}: half-written record {g}")
    for gid, user in acked_active:
        if gid not in grants:
            failures.append(f"{when}: acknowledged grant {gid} lost")
        elif grants[gid]["state"] != "active" and (gid, user) not in unknown:
            failures.append(f"{when}: acknowledged grant {gid} is {grants[gid]['state']}")
    for gid, _ in acked_revoked:
        if grants.get(gid, {}).get("state") != "revoked":
            failures.append(f"{when}: acknowledged revocation of {gid} lost")
    for gid, _ in acked_expired:
        if grants.get(gid, {}).get("state") not in ("expired",):
            failures.append(f"{when}: expired grant {gid} is back")
    verify_requests(when, grants)
    # What was in flight is settled now: take the store's word for it.
    for gid, user in list(unknown):
        unknown.discard((gid, user))
        st = grants.get(gid, {}).get("state")
        if st == "active":
            acked_active.add((gid, user))
        elif st == "revoked":
            acked_active.discard((gid, user))
            acked_revoked.add((gid, user))
    # Grants created in flight (no id came back) are adopted the same way.
    inflight.clear()
    known = {g for g, _ in acked_active | acked_revoked | acked_expired}
    for gid, g in grants.items():
        if gid not in known and g["state"] == "active":
            acked_active.add((gid, g["user"]))
    verify_sessions(when)


def verify_sessions(when):
    # A session is open with no end, or ended with its end time; a close
    # that was acknowledged is there.
    if not pam_dir:
        return
    rc, out = ctl("--json", "sessions", "--all")
    if rc != 0:
        failures.append(f"{when}: sessions failed: {out}")
        return
    by_pid = {}
    for x in json.loads(out)["sessions"]:
        by_pid[x["pid"]] = x
        if (x["state"] == "open") != (x["ended"] is None):
            failures.append(f"{when}: half-written session {x}")
    # A session whose grant ended is ended by jitd, if not before the kill
    # then once it is back (its start reconciles; give it a moment).
    for _ in range(50):
        if not any(by_pid.get(pid, {}).get("state") == "open" for pid in ended_pids):
            break
        time.sleep(0.02)
        rc, out = ctl("--json", "sessions", "--all")
        by_pid = {x["pid"]: x for x in json.loads(out)["sessions"]} if rc == 0 else by_pid
    for pid in ended_pids:
        x = by_pid.get(pid)
        if not x or x["state"] != "ended" or x["ended"] is None:
            failures.append(f"{when}: the session of pid {pid}, whose grant ended, was not "
                            f"ended: {x}")
    for pid in closed_pids:
        if by_pid.get(pid, {}).get("state") != "closed":
            failures.append(f"{when}: acknowledged close of the session of pid {pid} lost: "
                            f"{by_pid.get(pid)}")


def grant(user, duration="1h"):
    rc, out = ctl("grant", user, "--service", "sshd", "--for", duration, "--reason", "crash test")
    gid = out.split()[1].rstrip(":") if rc == 0 and out.startswith("granted ") else None
    totals["grants"] += gid is not None
    return rc, gid


def approve(user):
    rc, out = ctl("--json", "request", user, "--service", "sshd", "--for", "1h", "--reason",
                  "crash test", user=requester)
    if rc != 0:
        if rc != 3:  # 3: jitd died before the request was made
            failures.append(f"request by {requester} failed: {out}")
        return
    rid = json.loads(out)["id"]
    rc, out = ctl("approve", rid, user=approver)
    m = re.search(r"approved: grant (g-[0-9a-z]{8}) ", out)
    if rc == 0 and m:
        approved[rid] = m.group(1)
        acked_active.add((m.group(1), user))
        totals["approvals"] += 1
    else:
        if rc != 3:  # 3: jitd died mid-call; anything else is a refusal
            failures.append(f"approve by {approver} refused: {out}")
        asked.add(rid)
        inflight.add(user)


def session(user):
    if not any(u == user for _, u in acked_active - unknown):
        rc, gid = grant(user)
        if not gid:
            inflight.add(user)
            return
        acked_active.add((gid, user))
    env = dict(os.environ, LD_PRELOAD=pam_wrapper, PAM_WRAPPER="1",
               PAM_WRAPPER_SERVICE_DIR=pam_dir)
    p = subprocess.Popen(["pamtester", "sshd", user, "acct_mgmt", "open_session",
                          "close_session"], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    if p.wait(timeout=10) == 0:
        closed_pids.add(p.pid)
        totals["closes"] += 1


def wait_death(p, seconds):
    deadline = time.time() + seconds
    while p.poll() is None and time.time() < deadline:
        time.sleep(0.02)


def session_end(user, p):
    # A session left open (no close_session) on a grant that ends under it.
    # Its own PAM service, so that no longer grant of the user keeps it.
    rc, out = ctl("grant", user, "--service", END_SERVICE, "--for", "2s", "--reason", "crash test")
    gid = out.split()[1].rstrip(":") if rc == 0 and out.startswith("granted ") else None
    totals["grants"] += gid is not None
    if not gid:
        inflight.add(user)
        return
    env = dict(os.environ, LD_PRELOAD=pam_wrapper, PAM_WRAPPER="1",
               PAM_WRAPPER_SERVICE_DIR=pam_dir)
    s = subprocess.Popen(["pamtester", END_SERVICE, user, "acct_mgmt", "open_session"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    opened = s.wait(timeout=10) == 0
    wait_death(p, 4)
    acked_expired.add((gid, user))
    if opened:
        ended_pids.add(s.pid)


def nss_edge(p):
    # svc's grant starts a second or two from now: the NSS edge timer
    # publishes the snapshot that shows svc.  Only the edges of svc's merged
    # windows are timed, so its other grants are revoked first.
    for gid, user in sorted(g for g in acked_active - unknown if g[1] == "svc"):
        if ctl("revoke", gid)[0] == 0:
            totals["revocations"] += 1
            acked_active.discard((gid, user))
            acked_revoked.add((gid, user))
    start = int(time.time()) + 2
    rc, out = ctl("grant", "svc", "--service", "sshd", "--from", f"@{start}", "--until",
                  f"@{start + 3600}", "--reason", "crash test")
    gid = out.split()[1].rstrip(":") if rc == 0 and out.startswith("granted ") else None
    totals["grants"] += gid is not None
    if not gid:
        inflight.add("svc")
        return
    nss_from[gid] = start
    acked_active.add((gid, "svc"))
    wait_death(p, 4)


def operate(point, user, p):
    if point.startswith("session-end."):
        session_end(user, p)
    elif point.startswith("nss-edge."):
        nss_edge(p)
    elif point.startswith("session-close."):
        session(user)
    elif point.startswith("approve."):
        approve(user)
    elif point.startswith("revoke."):
        targets = sorted(g for g in acked_active if g not in unknown and
                         ("snapshot" not in point or g[1] == "svc"))
        if not targets:
            rc, gid = grant(user)
            if gid: acked_active.add((gid, user))
            targets = [(gid, user)] if gid else []
        if targets:
            gid, user = random.choice(targets)
            rc, out = ctl("revoke", gid)
            if rc == 0:
                totals["revocations"] += 1
                acked_active.discard((gid, user))
                acked_revoked.add((gid, user))
            else:
                unknown.add((gid, user))  # unacknowledged: applied or not
    elif point.startswith("grant."):
        rc, gid = grant(user)
        if gid:
            acked_active.add((gid, user))
        else:
            inflight.add(user)
    else:
        rc, gid = grant(user, "1s")
        deadline = time.time() + 4
        while p.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        if gid:
            acked_expired.add((gid, user))  # its end has passed: never active again
        else:
            inflight.add(user)


def one(i):
    global fired
    timer = i % 20 == 19  # one iteration in 20 kills a timer's work
    if timer:
        point = TIMER_POINTS[(i // 20) % len(TIMER_POINTS)]
        skip = 0
    else:
        point = points[i % len(points)]
        skip = (i // len(points)) % 2  # the first or the second pass of the point
    p = start(point, skip)
    verify(f"iteration {i} start ({point})")
    check_snapshot(f"iteration {i} start", running=True)
    # A skipped pass needs a second operation in the same lifetime; snapshot
    # steps need an account that NSS serves.
    for _ in range(skip + 1):
        if p.poll() is not None:
            break
        user = "svc" if "snapshot" in point else random.choice(("svc", "deploy"))
        operate(point, user, p)
    settle = time.time() + 0.2  # a kill after the reply may trail it a little
    while p.poll() is None and time.time() < settle:
        time.sleep(0.005)
    if p.poll() is None:
        p.send_signal(signal.SIGKILL)
        missed[point] = missed.get(point, 0) + 1
    else:
        fired += 1
        fired_by[point] = fired_by.get(point, 0) + 1
    p.wait()
    check_snapshot(f"iteration {i} after the kill at {point}")


started = time.time()
random.seed(15)
def settle(when):
    p = start()
    verify(when)
    check_snapshot(when, running=True)
    p.send_signal(signal.SIGTERM)
    p.wait()


# A list reply is one frame: a fresh state directory every 200 iterations
# keeps the grant table small enough to be checked whole.
for i in range(iterations):
    one(i)
    if failures:
        break
    if i % 200 == 199 and i + 1 < iterations:
        settle(f"after iteration {i}")
        subprocess.run(["rm", "-rf", state, snapshot])
        for s in (acked_active, acked_revoked, acked_expired, unknown, inflight, approved, asked,
                  closed_pids, ended_pids, nss_from):
            s.clear()
settle("final")
print(f"iterations={iterations} fired_at_point={fired} points={len(points) + len(TIMER_POINTS)} "
      f"acked_grants={totals['grants']} acked_revocations={totals['revocations']} "
      f"acked_approvals={totals['approvals']} acked_session_closes={totals['closes']} "
      f"losses={len(failures)} "
      f"seconds={time.time() - started:.0f}")
print("fired per point:", " ".join(f"{k}={v}" for k, v in sorted(fired_by.items())))
if missed:
    print("not reached:", " ".join(f"{k}x{v}" for k, v in sorted(missed.items())))
for f in failures[:5]:
    print("FAILURE:", f)
if failures:  # what jitd said about refusals, for the diagnosis
    with open(f"{world}/jitd.log", errors="replace") as log:
        said = [l.strip() for l in log if "refused" in l or "authority" in l]
    for line in said[-3:]:
        print("jitd:", line)
sys.exit(1 if failures else 0)
