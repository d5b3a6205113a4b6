// The mirror daemon: heartbeat, resync, watch, apply.  One thread, one loop;
// every etcd call has a deadline, so the loop always comes back to the
// staleness check.
#include <signal.h>
#include <syslog.h>
#include <time.h>

#include <curl/curl.h>

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <set>

#include "fleet/admin_socket.h"
#include "fleet/audit_duty.h"
#include "fleet/etcd.h"
#include "fleet/fleet.h"
#include "fleet/jitd_link.h"
#include "fleet/log.h"
#include "fleet/mirror.h"
#include "fleet/record.h"
#include "fleet/state_file.h"

namespace jit::fleet {

namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) {
    g_stop = 1;
}

constexpr long kWatchWindowMs = 1000;

struct Loop {
    const FleetConfig& config;
    Mirror mirror;
    Etcd etcd;
    JitdLink jitd;
    std::string state_dir;
    EVP_PKEY* key;
    int64_t lease = 0;
    int64_t next_heartbeat = 0;
    bool dirty = false;
    bool was_cut_off = true;
    bool jitd_heard = true;  // the last FLEET_FRESH reached jitd
    bool adopted = false;    // jitd's fleet grants are known to the mirror
    int etcd_problem = 0;    // errno of the etcd failure journaled last; 0: none now
    std::unique_ptr<AuditDuty> audit = nullptr;  // publishes and witnesses audit checkpoints

    void apply(const std::vector<Action>& actions);
    void heartbeat(int64_t now);
    bool resync(int64_t now);
    bool watch_once();
    void note_connectivity(int64_t now);
    void vouch(int64_t now);
    bool adopt();
    bool etcd_failed(const Failure& e);
    void etcd_answered();
};

// Journaled once per episode (and again if the kind of failure changes): a
// wrong CA, a refused password or a refused write says why here, before
// staleness says only "no answer".  Returns false, for the callers' ease.
bool Loop::etcd_failed(const Failure& e) {
    if (etcd_problem == e.code) return false;
    etcd_problem = e.code;
    if (e.code == EACCES)
        log_event("fleet-etcd-refused", LOG_WARNING,
                  "etcd refused " +
                      (config.user.empty() ? std::string("this host") : "user " + config.user) +
                      ": " + e.message,
                  {{"JIT_REASON", e.message}});
    else
        log_event("fleet-etcd-error", LOG_WARNING, "etcd: " + e.message,
                  {{"JIT_REASON", e.message}});
    return false;
}

void Loop::etcd_answered() {
    etcd_problem = 0;
}

// jitd records which fleet grant each of its grants mirrors, so a restart
// (even after kill -9 between jitd's GRANT and state.json) takes up every
// local fleet grant again rather than mirroring it twice and losing one.
bool Loop::adopt() {
    auto local = jitd.fleet_grants();
    if (!local.ok()) return false;
    for (const auto& r : *local) {
        auto known = mirror.state().mirrored.find(r.fleet_id);
        if (known != mirror.state().mirrored.end() && known->second.local_id == r.id) continue;
        if (known != mirror.state().mirrored.end()) {
            // Two local grants for one fleet grant: keep the one on record,
            // end the other.
            Mirrored keep = known->second;
            apply({Action{Action::Revoke, r.fleet_id, std::nullopt, r.id,
                          "a second local grant for fleet grant " + r.fleet_id, ""}});
            mirror.state().mirrored[r.fleet_id] = keep;
            continue;
        }
        GrantRecord g;
        g.id = r.fleet_id;
        g.account = r.user;
        g.not_after = r.not_after;
        mirror.mirrored(g, r.id);
        dirty = true;
        log_event("fleet-adopted", LOG_INFO,
                  "local grant " + r.id + " mirrors fleet grant " + r.fleet_id + " (taken up)",
                  {{"JIT_FLEET_GRANT_ID", r.fleet_id}, {"JIT_GRANT_ID", r.id}});
    }
    return true;
}

// Tells jitd until when fleet grants may decide.  Sent every loop (about a
// second): jitd caps it with its own max_staleness, so when this process
// dies fleet grants stop admitting on jitd's clock.
void Loop::vouch(int64_t now) {
    auto applied = jitd.fresh(mirror.fresh_until(now));
    if (applied.ok() != jitd_heard) {
        jitd_heard = applied.ok();
        if (!jitd_heard)
            log_event("fleet-jitd-unreachable", LOG_WARNING,
                      "cannot tell jitd that fleet grants are current: " + applied.error().message);
        else
            log_event("fleet-jitd-reachable", LOG_INFO, "jitd hears from jit-fleet again");
    }
}

void Loop::apply(const std::vector<Action>& actions) {
    for (const Action& a : actions) {
        dirty = true;
        if (a.kind == Action::Refused) {
            log_event("fleet-refused", LOG_WARNING,
                      "refused fleet record " + a.key + ": " + a.reason,
                      {{"JIT_FLEET_KEY", a.key}, {"JIT_REASON", a.reason}});
        } else if (a.kind == Action::Mirror) {
            auto id = jitd.grant(*a.grant);
            if (!id.ok()) {
                log_event("fleet-grant-failed", LOG_ERR,
                          "jitd refused fleet grant " + a.fleet_id + ": " + id.error().message,
                          {{"JIT_FLEET_GRANT_ID", a.fleet_id}, {"JIT_REASON", id.error().message}});
                continue;
            }
            // state.json is written once per loop turn, not per grant (a
            // resync of 10,000 grants would write it 10,000 times): jitd
            // records each grant's fleet origin, and a restart takes those
            // back (adopt()), so a kill before the save loses nothing.
            mirror.mirrored(*a.grant, *id);
            log_event(
                "fleet-grant", LOG_INFO,
                "fleet grant " + a.fleet_id + " for " + a.grant->account + " is local grant " + *id,
                {{"JIT_FLEET_GRANT_ID", a.fleet_id},
                 {"JIT_GRANT_ID", *id},
                 {"JIT_USER", a.grant->account},
                 {"JIT_FLEET_SIGNER", a.grant->signer}});
        } else {
            auto r = jitd.revoke(a.local_id, a.reason);
            if (!r.ok()) {
                log_event("fleet-revocation-failed", LOG_ERR,
                          "revoking " + a.local_id + " failed (retried): " + r.error().message,
                          {{"JIT_FLEET_GRANT_ID", a.fleet_id}, {"JIT_GRANT_ID", a.local_id}});
                continue;
            }
            mirror.unmirrored(a.fleet_id);
            log_event("fleet-revocation", LOG_NOTICE,
                      "ended local grant " + a.local_id + ": " + a.reason,
                      {{"JIT_FLEET_GRANT_ID", a.fleet_id},
                       {"JIT_GRANT_ID", a.local_id},
                       {"JIT_REASON", a.reason}});
        }
    }
}

void Loop::heartbeat(int64_t now) {
    if (now < next_heartbeat) return;
    int64_t ttl = std::max<int64_t>(10, int64_t(config.max_staleness));
    if (lease && !etcd.lease_keepalive(lease).ok()) lease = 0;
    if (!lease) {
        auto l = etcd.lease_grant(ttl);
        if (!l.ok()) {
            etcd_failed(l.error());
            return;
        }
        lease = *l;
        auto pub = public_key_base64(key);
        std::string body = nlohmann::json{
            {"host", config.host},
            {"labels", format_labels(config.labels)},
            {"key", pub.ok() ? *pub : ""},
            {"at", now}}.dump();
        auto env = seal(key, "host", config.host, body);
        auto put = env.ok() ? etcd.put(kHostsPrefix + config.host, *env, lease)
                            : Result<int64_t, Failure>(env.error());
        if (!put.ok()) {
            etcd_failed(put.error());
            lease = 0;
        }
    }
    next_heartbeat = now + ttl / 3;
}

// Reads every record once: revocations first, so a grant revoked while this
// host was away is never mirrored, then grants; a mirrored grant whose record
// is gone is treated as deleted.
bool Loop::resync(int64_t now) {
    auto all = etcd.get(kPrefix, true);
    if (!all.ok()) return etcd_failed(all.error());
    etcd_answered();
    mirror.heard(now);
    std::set<std::string> present;
    for (const auto& kv : all->kvs)
        if (kv.key.rfind(kRevocationsPrefix, 0) == 0) apply(mirror.on_put(kv.key, kv.value, now));
    for (const auto& kv : all->kvs)
        if (kv.key.rfind(kAuditPrefix, 0) == 0) audit->on_put(kv.key, kv.value, false, now);
    for (const auto& kv : all->kvs)
        if (kv.key.rfind(kGrantsPrefix, 0) == 0) {
            present.insert(kv.key);
            apply(mirror.on_put(kv.key, kv.value, now));
        }
    std::vector<std::string> gone;
    for (const auto& [id, m] : mirror.state().mirrored)
        if (!present.count(kGrantsPrefix + id)) gone.push_back(kGrantsPrefix + id);
    for (const auto& key : gone) apply(mirror.on_delete(key, now));
    mirror.state().revision = all->revision + 1;
    dirty = true;
    return true;
}

bool Loop::watch_once() {
    auto next =
        etcd.watch(kPrefix, mirror.state().revision, kWatchWindowMs, [&](const WatchBatch& b) {
            int64_t now = time(nullptr);
            mirror.heard(now);
            for (const auto& e : b.events) {
                if (!e.deleted && e.kv.key.rfind(kAuditPrefix, 0) == 0)
                    audit->on_put(e.kv.key, e.kv.value, true, now);
                apply(e.deleted ? mirror.on_delete(e.kv.key, now)
                                : mirror.on_put(e.kv.key, e.kv.value, now));
            }
        });
    if (!next.ok()) return etcd_failed(next.error());
    etcd_answered();
    mirror.heard(time(nullptr));
    if (*next != mirror.state().revision) dirty = true;
    mirror.state().revision = *next;  // 0 after a compaction: resync
    return true;
}

void Loop::note_connectivity(int64_t now) {
    bool cut = mirror.cut_off(now);
    if (cut == was_cut_off) return;
    was_cut_off = cut;
    if (cut)
        log_event("fleet-cut-off", LOG_WARNING,
                  "no answer from etcd for more than " + std::to_string(config.max_staleness) +
                      "s; offline = " +
                      (config.offline == Offline::Deny ? "deny: fleet grants end here" : "keep"));
    else
        log_event("fleet-connected", LOG_INFO, "in touch with etcd at " + etcd.endpoint());
}

// jitctl --fleet's socket, served by a thread of its own: an admin call
// makes several etcd round trips, which must not hold up the mirror loop
// (revocations).  The thread owns no state the loop uses: each call opens
// its own etcd connection and reads the host key itself.
class AdminThread {
public:
    AdminThread(const Options& o, const FleetConfig& c) {
        auto sock = AdminSocket::open(c.admin_socket);
        if (!sock.ok()) {
            log_event("fleet-admin-socket-failed", LOG_ERR,
                      "no admin socket (jitctl --fleet will not work): " + sock.error().message,
                      {{"JIT_PATH", c.admin_socket}});
            return;
        }
        socket_ = std::make_unique<AdminSocket>(std::move(*sock));
        thread_ = std::thread([this, &o, &c] { socket_->serve(o, c, stop_); });
    }
    ~AdminThread() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }

private:
    std::unique_ptr<AdminSocket> socket_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace

int run_daemon(const Options& o, const FleetConfig& c) {
    auto key = load_private_key(c.key_path);
    if (!key.ok()) return fprintf(stderr, "jit-fleet: %s\n", key.error().message.c_str()), 1;
    auto state = load_state(o.state_dir);
    if (!state.ok()) return fprintf(stderr, "jit-fleet: %s\n", state.error().message.c_str()), 1;
    auto witnessed = load_witness_state(o.state_dir);
    if (!witnessed.ok())
        return fprintf(stderr, "jit-fleet: %s\n", witnessed.error().message.c_str()), 1;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    // libcurl's global state is set up before a second thread can touch it.
    curl_global_init(CURL_GLOBAL_DEFAULT);
    AdminThread admin(o, c);
    Loop loop{c,
              Mirror(c, *state),
              Etcd({c.endpoints, c.user, o.password, c.ca_file, 1000}),
              JitdLink(o.socket_path, 1000),
              o.state_dir,
              key->get()};
    loop.audit = std::make_unique<AuditDuty>(c, loop.etcd, loop.jitd, key->get(), o.state_dir,
                                             std::move(*witnessed));
    log_event("fleet-started", LOG_INFO, "host " + c.host + " (" + format_labels(c.labels) + ")");
    while (!g_stop) {
        int64_t now = time(nullptr);
        loop.heartbeat(now);
        if (!loop.adopted) loop.adopted = loop.adopt();
        bool ok = !loop.adopted                       ? false
                  : loop.mirror.state().revision == 0 ? loop.resync(now)
                                                      : loop.watch_once();
        if (!ok) {
            struct timespec pause = {0, 200 * 1000 * 1000};
            nanosleep(&pause, nullptr);
        }
        now = time(nullptr);
        if (ok) {
            loop.audit->publish(now);
            loop.audit->retry(now);
        }
        loop.apply(loop.mirror.tick(now));
        loop.note_connectivity(now);
        loop.vouch(now);
        if (loop.dirty) {
            if (auto s = save_state(o.state_dir, loop.mirror.state()); !s.ok())
                log_event("fleet-state-failed", LOG_ERR, s.error().message);
            loop.dirty = false;
        }
    }
    log_event("fleet-stopping", LOG_INFO, "host " + c.host);
    return 0;
}

}  // namespace jit::fleet
