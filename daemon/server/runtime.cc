#include "daemon/server/runtime.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <memory>
#include <optional>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "daemon/time/clock.h"
#include "daemon/config/config.h"
#include "daemon/server/dispatch.h"
#include "daemon/base/crash_point.h"
#include "daemon/base/event_source.h"
#include "jit/escape.h"
#include "jit/timefmt.h"
#include "daemon/server/identity_init.h"
#include "daemon/server/key_watch.h"
#include "daemon/server/listener.h"
#include "daemon/events/notify_spawn.h"
#include "daemon/policy/policy.h"
#include "daemon/requests/request_desk.h"
#include "daemon/server/server.h"
#include "daemon/server/startup.h"
#include "daemon/service/service.h"
#include "daemon/sessions/session_service.h"
#include "daemon/store/store.h"
#include "daemon/sessions/terminator.h"
#include "daemon/trail/audit_trail.h"
#include "daemon/trail/audited_journal.h"

namespace jit::daemon {

namespace {

constexpr uint64_t kUsec = 1000000;
constexpr uint64_t kRetryUsec = 5 * kUsec;
constexpr uint64_t kFloorUsec = 30 * kUsec;  // how often the clock floor is saved

void journal_policy(Journal& journal, const Config& config, const PolicySet& policy) {
    journal.record(Event::PolicyLoaded, LOG_INFO,
                   "policy: " + std::to_string(policy.rules.size()) + " rule(s) from " +
                       std::to_string(policy.files.size()) + " file(s) in " + config.policy_dir,
                   {{"JIT_POLICY_DIR", config.policy_dir},
                    {"JIT_RULES", std::to_string(policy.rules.size())}});
    for (const auto& e : policy.exposed) {
        char mode[8];
        snprintf(mode, sizeof mode, "%04o", e.mode);
        journal.record(Event::PolicyReadable, LOG_WARNING,
                       "policy " + escape_text(e.path) + " (mode " + mode +
                           ") can be read by every local user: who may get access, and when, "
                           "is no secret on this host",
                       {{"JIT_PATH", e.path}, {"JIT_MODE", mode}});
    }
}

Server::Options server_options(const Config& config) {
    Server::Options o;
    o.timeout_ms = config.client_timeout_ms;
    o.frame_timeout_ms = config.frame_timeout_ms;
    o.max_connections = config.max_connections;
    o.max_per_uid = config.max_connections_per_uid;
    return o;
}

class Runtime {
public:
    Runtime(const RuntimeOptions& options, JitService& service, SessionService& sessions,
            Store& store, Server& server, sd_event* event, SpawnNotifier& notifier,
            AuditTrail& trail)
        : options_(options),
          service_(service),
          sessions_(sessions),
          store_(store),
          server_(server),
          event_(event),
          notifier_(notifier),
          trail_(trail) {}

    Result<void> start();

private:
    static int on_terminate(sd_event_source*, const signalfd_siginfo*, void* userdata);
    static int on_reload(sd_event_source*, const signalfd_siginfo*, void* userdata);
    static int on_expiry(sd_event_source*, uint64_t, void* userdata);
    static int on_nss_edge(sd_event_source*, uint64_t, void* userdata);
    static int on_post(sd_event_source*, void* userdata);
    static int on_escalate(sd_event_source*, uint64_t, void* userdata);
    static int on_floor(sd_event_source*, uint64_t, void* userdata);
    static int on_maintain(sd_event_source*, void* userdata);
    void reload();
    void reload_issuers(const Config& config);
    void watch_key_files();
    void rearm_expiry();
    void save_floor();
    void rearm_nss_edge();

    const RuntimeOptions& options_;
    JitService& service_;
    SessionService& sessions_;
    Store& store_;
    Server& server_;
    sd_event* event_;
    SpawnNotifier& notifier_;
    AuditTrail& trail_;
    SystemClock system_clock_;  // what the host says, to tell when it is behind
    ClockLag clock_lag_;
    EventSource sigterm_, sigint_, sighup_, expiry_, nss_edge_, post_, escalate_, floor_, maintain_;
    KeyFileWatch key_watch_{event_, [this] { reload_issuers(service_.config()); }};
    uint64_t retry_at_ = 0;
};

Result<void> Runtime::start() {
    sd_event_source* s = nullptr;
    if (sd_event_add_signal(event_, &s, SIGTERM, on_terminate, this) < 0)
        return make_error(EIO, "cannot watch SIGTERM");
    sigterm_.reset(s);
    if (sd_event_add_signal(event_, &s, SIGINT, on_terminate, this) < 0)
        return make_error(EIO, "cannot watch SIGINT");
    sigint_.reset(s);
    if (sd_event_add_signal(event_, &s, SIGHUP, on_reload, this) < 0)
        return make_error(EIO, "cannot watch SIGHUP");
    sighup_.reset(s);
    if (sd_event_add_time(event_, &s, CLOCK_REALTIME, UINT64_MAX, 0, on_expiry, this) < 0)
        return make_error(EIO, "cannot create the expiry timer");
    expiry_.reset(s);
    // The NSS snapshot is rewritten at every window edge it carries.
    if (sd_event_add_time(event_, &s, CLOCK_REALTIME, UINT64_MAX, 0, on_nss_edge, this) < 0)
        return make_error(EIO, "cannot create the NSS snapshot timer");
    nss_edge_.reset(s);
    // Re-arming after every dispatch keeps the timer on the earliest expiry
    // whatever the request changed.
    if (sd_event_add_post(event_, &s, on_post, this) < 0)
        return make_error(EIO, "cannot add post hook");
    post_.reset(s);
    sd_event_source_set_enabled(post_.get(), SD_EVENT_ON);
    // SIGKILL escalations run on the monotonic clock: a wall-clock step must
    // not stretch or skip the grace period.
    if (sd_event_add_time(event_, &s, CLOCK_MONOTONIC, UINT64_MAX, 0, on_escalate, this) < 0)
        return make_error(EIO, "cannot create the escalation timer");
    escalate_.reset(s);
    if (sd_event_add_time_relative(event_, &s, CLOCK_MONOTONIC, kFloorUsec, kUsec, on_floor, this) <
        0)
        return make_error(EIO, "cannot create the clock floor timer");
    floor_.reset(s);
    sd_event_source_set_enabled(floor_.get(), SD_EVENT_ON);
    // Sealing and the disk bound run once the loop is idle: at start (a
    // segment a crash left unsealed, a bound lowered while jitd was down),
    // after a reload, and as soon as a checkpoint leaves enough to seal.
    if (sd_event_add_defer(event_, &s, on_maintain, this) < 0)
        return make_error(EIO, "cannot add the audit maintenance source");
    maintain_.reset(s);
    sd_event_source_set_priority(maintain_.get(), SD_EVENT_PRIORITY_IDLE);
    sd_event_source_set_enabled(maintain_.get(), SD_EVENT_ONESHOT);
    trail_.set_maintenance_due(
        [this] { sd_event_source_set_enabled(maintain_.get(), SD_EVENT_ONESHOT); });
    save_floor();
    rearm_expiry();
    rearm_nss_edge();
    watch_key_files();
    return success();
}

// Key files are watched as identity.d names them at start and after SIGHUP.
void Runtime::watch_key_files() {
    auto issuers = service_.desk().issuers();
    std::string failed = key_watch_.watch(issuers ? *issuers : IssuerSet{});
    if (!failed.empty())
        service_.journal().record(Event::IdentityRejected, LOG_WARNING,
                                  "identity: key file changes are not watched in " +
                                      escape_text(failed) + "; SIGHUP reloads them",
                                  {{"JIT_REASON", failed}});
}

void Runtime::save_floor() {
    const Time decided = service_.now();
    if (auto lag = clock_lag_.check(system_clock_.now(), decided))
        service_.journal().record(
            Event::ClockBehind, LOG_WARNING,
            "the system clock is " + format_duration(*lag) + " behind " + format_utc(decided) +
                ", the latest time jitd has seen: it decides at that time, so grants end early "
                "until the clock catches up (if that time was wrong, see jitd --reset-clock-floor)",
            {{"JIT_CLOCK", format_iso8601(decided - *lag)},
             {"JIT_CLOCK_FLOOR", format_iso8601(decided)},
             {"JIT_LAG_SECONDS", std::to_string(*lag)}});
    if (auto raised = store_.raise_clock_floor(decided); !raised)
        service_.journal().record(Event::StoreFailed, LOG_ERR,
                                  "cannot save the clock floor: " + raised.error().message, {});
}

int Runtime::on_floor(sd_event_source* s, uint64_t usec, void* userdata) {
    auto* self = static_cast<Runtime*>(userdata);
    self->save_floor();
    // A checkpoint due by time (checkpoint_every) is signed here at the latest.
    self->trail_.flush();
    self->trail_.maintain();
    sd_event_source_set_time(s, usec + kFloorUsec);
    return 0;
}

int Runtime::on_maintain(sd_event_source*, void* userdata) {
    static_cast<Runtime*>(userdata)->trail_.maintain();
    return 0;
}

int Runtime::on_escalate(sd_event_source*, uint64_t now_usec, void* userdata) {
    auto* self = static_cast<Runtime*>(userdata);
    self->sessions_.tick(now_usec / 1000);
    self->rearm_expiry();
    return 0;
}

void Runtime::rearm_nss_edge() {
    auto next = service_.next_nss_wakeup();
    if (!next) {
        sd_event_source_set_enabled(nss_edge_.get(), SD_EVENT_OFF);
        return;
    }
    sd_event_source_set_time(nss_edge_.get(), *next <= 0 ? 1 : uint64_t(*next) * kUsec);
    sd_event_source_set_enabled(nss_edge_.get(), SD_EVENT_ONESHOT);
}

int Runtime::on_nss_edge(sd_event_source*, uint64_t, void* userdata) {
    auto* self = static_cast<Runtime*>(userdata);
    JIT_CRASH_CONTEXT("nss-edge");
    self->service_.publish_nss();
    JIT_CRASH_CONTEXT("idle");
    self->rearm_nss_edge();
    return 0;
}

void Runtime::rearm_expiry() {
    auto next = service_.next_expiry();
    if (auto warning = sessions_.next_warning(); warning && (!next || *warning < *next))
        next = warning;
    uint64_t when = UINT64_MAX;
    if (next) when = *next <= 0 ? 1 : uint64_t(*next) * kUsec;
    if (retry_at_ && retry_at_ < when) when = retry_at_;
    if (auto escalation = sessions_.next_escalation_ms()) {
        sd_event_source_set_time(escalate_.get(), *escalation * 1000);
        sd_event_source_set_enabled(escalate_.get(), SD_EVENT_ONESHOT);
    } else {
        sd_event_source_set_enabled(escalate_.get(), SD_EVENT_OFF);
    }
    if (when == UINT64_MAX) {
        sd_event_source_set_enabled(expiry_.get(), SD_EVENT_OFF);
        return;
    }
    sd_event_source_set_time(expiry_.get(), when);
    sd_event_source_set_enabled(expiry_.get(), SD_EVENT_ONESHOT);
}

int Runtime::on_expiry(sd_event_source*, uint64_t now_usec, void* userdata) {
    auto* self = static_cast<Runtime*>(userdata);
    JIT_CRASH_CONTEXT("expire");
    self->retry_at_ = self->service_.expire_due() ? 0 : now_usec + kRetryUsec;
    JIT_CRASH_CONTEXT("session-end");
    self->sessions_.tick(monotonic_ms());
    JIT_CRASH_CONTEXT("idle");
    self->rearm_expiry();
    return 0;
}

int Runtime::on_post(sd_event_source*, void* userdata) {
    auto* self = static_cast<Runtime*>(userdata);
    self->sessions_.run_pending();
    self->rearm_expiry();
    self->rearm_nss_edge();
    return 0;
}

int Runtime::on_terminate(sd_event_source*, const signalfd_siginfo*, void* userdata) {
    auto* self = static_cast<Runtime*>(userdata);
    sd_notify(0, "STOPPING=1");
    sd_event_exit(self->event_, 0);
    return 0;
}

int Runtime::on_reload(sd_event_source*, const signalfd_siginfo*, void* userdata) {
    static_cast<Runtime*>(userdata)->reload();
    return 0;
}

void Runtime::reload() {
    sd_notify(0, "RELOADING=1");
    auto config = load_configuration(options_, true);
    // The policy is read with the new configuration (policy_dir may have
    // moved); either failing keeps both old ones.
    Result<std::shared_ptr<const PolicySet>, Failure> policy = std::shared_ptr<const PolicySet>();
    if (config) policy = load_policy(*config);
    if (config && !policy) {
        const std::string error = policy.error().to_string();
        service_.journal().record(Event::PolicyRejected, LOG_ERR,
                                  "policy not reloaded, keeping the old one: " + escape_text(error),
                                  {{"JIT_POLICY_DIR", config->policy_dir}, {"JIT_REASON", error}});
    } else if (!config) {
        const std::string error = config.error().to_string();
        service_.journal().record(
            Event::ConfigRejected, LOG_ERR,
            "configuration not reloaded, keeping the old one: " + escape_text(error),
            {{"JIT_CONFIG", options_.config_path}, {"JIT_REASON", error}});
    } else {
        std::string note;
        if (config->socket_path != service_.config().socket_path ||
            config->state_dir != service_.config().state_dir ||
            config->nss.snapshot_path != service_.config().nss.snapshot_path)
            note = " (socket, state_dir and snapshot changes take effect at restart)";
        config->socket_path = service_.config().socket_path;
        config->state_dir = service_.config().state_dir;
        config->nss.snapshot_path = service_.config().nss.snapshot_path;
        server_.set_options(server_options(*config));
        notifier_.configure(config->notify_command, config->notify_timeout_ms);
        service_.desk().set_notifier(&notifier_, Time(config->notify_before_seconds));
        service_.apply_policy(*policy);
        journal_policy(service_.journal(), *config, **policy);
        reload_issuers(*config);
        watch_key_files();
        trail_.configure(config->audit);
        sd_event_source_set_enabled(maintain_.get(), SD_EVENT_ONESHOT);  // a new bound applies now
        server_.set_audit_failure(config->audit.failure);
        service_.apply_config(std::move(*config));
        service_.journal().record(Event::ConfigReloaded, LOG_INFO,
                                  "configuration reloaded from " + options_.config_path + note,
                                  {{"JIT_CONFIG", options_.config_path}});
    }
    sd_notify(0, "READY=1");
}

// identity.d that does not parse keeps the issuers in force (and their keys).
void Runtime::reload_issuers(const Config& config) {
    auto before = service_.desk().issuers();
    auto issuers = load_issuers(config, before ? *before : IssuerSet{}, service_.journal());
    if (!issuers) {
        const std::string error = issuers.error().to_string();
        service_.journal().record(
            Event::IdentityRejected, LOG_ERR,
            "identity.d not reloaded, keeping the issuers in force: " + escape_text(error),
            {{"JIT_IDENTITY_DIR", config.identity_dir}, {"JIT_REASON", error}});
        return;
    }
    service_.desk().set_issuers(std::move(*issuers));
}

bool block_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);  // notifier exits come through sd-event child sources
    signal(SIGPIPE, SIG_IGN);
    return sigprocmask(SIG_BLOCK, &set, nullptr) == 0;
}

// Removes the socket file jitd bound itself, on every way out.
struct BoundSocketFile {
    std::string path;
    ~BoundSocketFile() {
        if (!path.empty()) unlink(path.c_str());
    }
};

// What the store repaired as it opened goes to the journal first.
void journal_open_notices(Journal& journal, Store& store, const Config& config) {
    for (const auto& notice : store.open_notices())
        journal.record(Event::StateRepaired, LOG_WARNING, "state: " + notice,
                       {{"JIT_STATE_DIR", config.state_dir}});
}

// The audit log's state, and its segment files checked against jit.db;
// false after saying why jitd cannot serve.
bool open_audit_trail(AuditTrail& trail, const Config& config) {
    if (auto loaded = trail.load(config.audit, config.state_dir); !loaded)
        return fail(loaded.error().message), false;
    if (auto recovered = trail.recover_segments(); !recovered)
        return fail(recovered.error().message), false;
    return true;
}

// Policy, grants, sessions and issuers, all in place before the first
// request; false after saying why jitd cannot serve.
bool load_services(JitService& service, SessionService& sessions, Journal& journal,
                   const Config& config, std::shared_ptr<const PolicySet> policy) {
    service.apply_policy(policy);
    if (auto loaded = service.load(); !loaded) return fail(loaded.error().message), false;
    if (auto loaded = sessions.load(); !loaded) return fail(loaded.error().message), false;
    journal_policy(journal, config, *policy);
    auto issuers = load_issuers(config, {}, journal);
    if (!issuers) return fail(issuers.error().to_string()), false;
    service.desk().set_issuers(std::move(*issuers));
    return true;
}

// The loop; decisions' journal entries never wait for journald on it.
// Null after saying why not.
EventLoopPtr open_event_loop(SystemJournal& system_journal) {
    sd_event* raw = nullptr;
    if (sd_event_new(&raw) < 0) return fail("cannot create the event loop"), nullptr;
    EventLoopPtr event(raw);
    system_journal.attach(event.get());
    if (!block_signals()) return fail("cannot block signals"), nullptr;
    sd_event_set_watchdog(event.get(), 1);
    return event;
}

void announce_serving(Journal& journal, AuditTrail& trail, const Listeners& listeners,
                      const Config& config) {
    std::string where = listeners.open.activated ? "socket from systemd" : config.socket_path;
    journal.record(Event::DaemonStarted, LOG_INFO,
                   "jitd " JIT_VERSION " serving on " + where + ", state in " + config.state_dir,
                   {{"JIT_SOCKET", where},
                    {"JIT_STATE_DIR", config.state_dir},
                    {"JIT_AUDIT", trail.active() ? "on" : "off"}});
    sd_notifyf(0, "READY=1\nSTATUS=serving on %s\nMAINPID=%d", where.c_str(), int(getpid()));
}

// The parts live here, in the order they depend on each other, and end in
// the reverse order when the loop returns.
int serve(const RuntimeOptions& options, Config config, Listeners listeners, Store& store,
          std::shared_ptr<const PolicySet> policy) {
    SystemJournal system_journal;
    SystemClock system_clock;
    journal_open_notices(system_journal, store, config);
    // The floor saved by earlier runs: a clock stepped back while jitd was
    // down cannot bring an expired grant back.
    auto floor = store.clock_floor();
    if (!floor) return fail("cannot read the clock floor: " + floor.error().message), 1;
    NonDecreasingClock clock(system_clock, *floor);
    // Every entry from here on passes the audit trail (when the log is on).
    AuditTrail trail(store, system_journal, clock);
    if (!open_audit_trail(trail, config)) return 1;
    AuditedJournal journal(system_journal, trail);
    NssDirectory directory;
    JitService service(store, journal, clock, directory, config);
    SystemProcesses procs;
    SystemSignaller signaller(procs);
    SystemLogind logind;
    Terminator terminator(procs, signaller, logind, getpid());
    SessionService sessions(store, journal, clock, service, procs, terminator);
    service.set_observer(&sessions);
    service.attach_sessions(&sessions);
    SnapshotFile snapshot(config.nss.snapshot_path);
    service.set_snapshot_sink(&snapshot);
    if (!load_services(service, sessions, journal, config, policy)) return 1;

    EventLoopPtr event = open_event_loop(system_journal);
    if (!event) return 1;
    SpawnNotifier notifier(event.get(), journal);
    notifier.configure(config.notify_command, config.notify_timeout_ms);
    trail.set_notifier(&notifier);
    service.desk().set_notifier(&notifier, Time(config.notify_before_seconds));

    Dispatcher dispatcher(service);
    Server server(event.get(), std::move(listeners.open.fd), std::move(listeners.protected_door.fd),
                  dispatcher, service, server_options(config));
    server.set_audit(&trail);
    Runtime runtime(options, service, sessions, store, server, event.get(), notifier, trail);
    if (auto r = server.start(); !r) return fail(r.error().what), 1;
    if (auto r = runtime.start(); !r) return fail(r.error().what), 1;
    // From here on a snapshot is built and written by a child, off the loop,
    // and a sealed audit segment's file by a thread.
    service.write_nss_in_background(event.get(), [&server] { server.release_nss(); });
    trail.seal_in_background(event.get());

    announce_serving(journal, trail, listeners, config);
    int r = sd_event_loop(event.get());
    service.run_after_answer();  // answers sent whose connections are still open
    journal.record(Event::DaemonStopping, LOG_INFO, "jitd stopping", {});
    trail.stop_sealing();
    trail.flush();
    system_journal.drain();
    return r < 0 ? 1 : 0;
}

}  // namespace

// The socket comes before the state: a jitd that finds another one already
// serving stops before it touches anything.
int run_daemon(const RuntimeOptions& options) {
    auto config = load_configuration(options, false);
    if (!config) return fail(config.error().to_string()), 1;
    auto policy = load_policy(*config);
    if (!policy) return fail(policy.error().to_string()), 1;
    auto listeners = acquire_listeners(config->socket_path);
    if (!listeners) return fail(listeners.error().message), 1;
    BoundSocketFile bound{listeners->open.activated ? "" : listeners->open.path};
    BoundSocketFile bound_root{
        listeners->protected_door.activated ? "" : listeners->protected_door.path};
    auto store = open_state(config->state_dir);
    if (!store) return 1;
    return serve(options, std::move(*config), std::move(*listeners), *store, std::move(*policy));
}

}  // namespace jit::daemon
