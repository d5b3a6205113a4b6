// jit-sweep: the backstop that ends sessions whose grants are over, without
// jitd.  It reads jitd's state read-only (WAL lets it read beside a live,
// stopped or dead jitd, and it takes no lock), decides with the same pure
// logic jitd uses, on the wall clock (never below the saved clock floor), and
// ends the sessions no grant covers: SIGTERM, then SIGKILL after the grace
// period.  Running it twice does nothing the second time.  It writes nothing
// but its entries into jitd's audit log, when there is one and jitd is down
// (see record()).
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config/config.h"
#include "daemon/grants/grant_book.h"
#include "daemon/events/journal.h"
#include "daemon/sessions/proc.h"
#include "daemon/sessions/session_plan.h"
#include "daemon/store/store.h"
#include "daemon/sessions/terminator.h"
#include "daemon/store/audit_store.h"
#include "daemon/trail/audit_trail.h"
#include "jit/escape.h"

namespace {

using namespace jit::daemon;

constexpr Time kWatchFor = 86400;   // sessions ended within this are re-checked
constexpr Time kFutureSlack = 300;  // grants "created" later than this are ignored

struct Options {
    std::string config_path = "/etc/jit/jitd.conf";
    bool config_given = false;
    std::string state_dir;
    int grace = -1;
    bool dry_run = false;
};

void usage(FILE* out) {
    fprintf(out,
            "Usage: jit-sweep [OPTIONS]\n"
            "Ends sessions whose jit grants are over, reading jitd's state directly.\n\n"
            "  -c, --config PATH     jitd configuration (default /etc/jit/jitd.conf)\n"
            "  -d, --state-dir PATH  state directory instead of the configured one\n"
            "  -g, --grace SECONDS   SIGTERM to SIGKILL (default: kill_grace from the config)\n"
            "  -n, --dry-run         say what would be ended, signal nothing\n"
            "  -h, --help            show this help\n\n"
            "See jit-sweep(8).\n");
}

int parse_options(int argc, char** argv, Options* o) {
    static const option opts[] = {
        {"config", required_argument, nullptr, 'c'}, {"state-dir", required_argument, nullptr, 'd'},
        {"grace", required_argument, nullptr, 'g'},  {"dry-run", no_argument, nullptr, 'n'},
        {"help", no_argument, nullptr, 'h'},         {nullptr, 0, nullptr, 0}};
    for (int c; (c = getopt_long(argc, argv, "c:d:g:nh", opts, nullptr)) != -1;) {
        switch (c) {
            case 'c':
                o->config_path = optarg;
                o->config_given = true;
                break;
            case 'd':
                o->state_dir = optarg;
                break;
            case 'g': {
                char* end = nullptr;
                long g = strtol(optarg, &end, 10);
                if (*end || g < 0 || g > 60)
                    return fprintf(stderr, "jit-sweep: --grace takes 0..60\n"), 2;
                o->grace = int(g);
                break;
            }
            case 'n':
                o->dry_run = true;
                break;
            case 'h':
                usage(stdout);
                return -1;
            default:
                usage(stderr);
                return 2;
        }
    }
    if (optind != argc) return usage(stderr), 2;
    return 0;
}

struct Ended {
    Session session;
    std::vector<Target> targets;
};

// The grants that may cover a session now: Active in the store, not dated in
// the future.  Their times are checked by the plan, not trusted.
GrantBook book_from(std::vector<Grant> grants, Time now) {
    GrantBook book;
    for (auto& g : grants)
        if (g.created <= now + kFutureSlack) book.add(std::move(g));
    return book;
}

// Journals entry and, when jit.db holds an audit log, appends it there in a
// transaction of its own: the chain goes on from jitd's last record, and
// jitd goes on from this one when it starts (its key too: audit-epoch.key).
// The log has one writer at a time, jitd's lock says who: while jitd holds
// it (running, or stuck), the entry is journaled only, with JIT_AUDIT
// saying why it is not in the log.  The lock is held for this one write,
// never across the grace period, so jitd can always start.
void record(const std::string& dir, const Config& config, bool logged, Journal& journal,
            JournalEntry entry) {
    if (logged) {
        std::string why;
        auto store = Store::open(dir);
        SystemClock clock;
        std::optional<AuditTrail> trail;
        if (!store) {
            why = store.error().code == EBUSY ? "jitd holds the audit log" : store.error().message;
        } else {
            trail.emplace(**store, journal, clock);
            if (auto loaded = trail->load(config.audit, dir); !loaded) why = loaded.error().message;
        }
        if (why.empty() && trail->active()) {
            StoreTx tx(**store);
            const size_t slot = tx.audit(entry);
            auto done = tx.begin();
            if (done) done = tx.commit();
            if (auto seq = tx.audit_seq(slot); done && seq)
                entry.fields.push_back({"JIT_AUDIT_SEQ", std::to_string(*seq)});
            else
                why = "cannot append to the audit log: " + (done ? "" : done.error().message);
        }
        if (!why.empty()) entry.fields.push_back({"JIT_AUDIT", "not recorded: " + why});
    }
    journal.record_entry(entry);
}

// Whether jit.db holds an audit log jit-sweep should write to.
bool audit_log_in(Store& store, const Config& config) {
    if (config.audit.mode == AuditConfig::Mode::Off) return false;
    auto held = AuditStore(store).state();
    return !held || held->has_value();  // unreadable: try, and say why it failed
}

// What a sweep decides on, read once from jitd's state.
struct SweepInput {
    Time now = 0;                   // the wall clock, never below the saved clock floor
    std::vector<Grant> grants;      // Active in the store
    std::vector<Session> sessions;  // the ones to watch (ended within kWatchFor, or running)
};

std::optional<SweepInput> read_input(Store& store) {
    auto floor = store.clock_floor();
    auto grants = store.grants_in_state(GrantState::Active);
    Time now = std::max<Time>(time(nullptr), floor ? *floor : 0);
    auto sessions = store.sessions_to_watch(now - kWatchFor);
    if (!floor || !grants || !sessions) {
        const jit::Failure& why = !floor    ? floor.error()
                                  : !grants ? grants.error()
                                            : sessions.error();
        fprintf(stderr, "jit-sweep: cannot read the state: %s\n", why.message.c_str());
        return std::nullopt;
    }
    return SweepInput{now, std::move(*grants), std::move(*sessions)};
}

// Whether anything of s is left to end: a process, or a logind session
// logind can end.  Nothing left: it was ended before, by jitd or by us.
bool anything_left(const Session& s, Terminator& terminator, SystemLogind& logind) {
    std::vector<ProcInfo> table;
    return !terminator.targets(s.identity, &table).empty() ||
           (!s.identity.logind_session.empty() && logind.available());
}

JournalEntry sigterm_entry(const Session& s, const TermReport& r) {
    return JournalEntry{
        Event::SweepEnded,
        LOG_WARNING,
        "jit-sweep ended session " + s.id + " of " + s.user + " on " + s.service +
            ": no grant covers it (" + std::to_string(r.signalled.size()) +
            " process(es) sent SIGTERM" +
            (r.logind_tried ? (r.logind_ok ? ", logind done" : ", logind failed") : "") + ")",
        {{"JIT_SESSION_ID", s.id},
         {"JIT_USER", s.user},
         {"JIT_SERVICE", s.service},
         {"JIT_GRANT_ID", s.grant_id},
         {"JIT_SESSION_PID", std::to_string(s.identity.pid)}}};
}

JournalEntry sigkill_entry(const Session& s, const TermReport& r) {
    return JournalEntry{Event::SweepEnded,
                        LOG_WARNING,
                        "jit-sweep: " + std::to_string(r.signalled.size()) +
                            " process(es) of session " + s.id +
                            " outlived SIGTERM and were sent SIGKILL",
                        {{"JIT_SESSION_ID", s.id}, {"JIT_SIGNAL", "SIGKILL"}}};
}

// SIGTERM to every session no grant covers, then, after the grace period,
// SIGKILL to what outlived it.
int sweep(const Options& o, const Config& config, Journal& journal) {
    const std::string dir = o.state_dir.empty() ? config.state_dir : o.state_dir;
    auto store = Store::open_read_only(dir);
    if (!store) {
        fprintf(stderr, "jit-sweep: cannot open the state: %s\n", store.error().message.c_str());
        return 1;
    }
    auto input = read_input(**store);
    if (!input) return 1;
    GrantBook book = book_from(std::move(input->grants), input->now);
    const bool logged = audit_log_in(**store, config);
    SystemProcesses procs;
    SystemSignaller signaller(procs);
    SystemLogind logind;
    Terminator terminator(procs, signaller, logind, getpid());
    std::string boot = procs.boot_id();
    std::vector<Ended> ended;
    for (const auto& s : input->sessions) {
        if (plan_session(s, book, input->now, boot, 0).verdict != SessionVerdict::End) continue;
        if (!anything_left(s, terminator, logind)) continue;
        if (o.dry_run) {
            printf("would end session %s of %s on %s\n", s.id.c_str(), s.user.c_str(),
                   s.service.c_str());
            continue;
        }
        TermReport r = terminator.begin(s.identity);
        record(dir, config, logged, journal, sigterm_entry(s, r));
        ended.push_back({s, r.signalled});
    }
    if (!ended.empty()) sleep(unsigned(o.grace >= 0 ? o.grace : int(config.kill_grace_seconds)));
    for (const auto& e : ended) {
        TermReport r = terminator.finish(e.session.identity, e.targets);
        if (!r.signalled.empty()) record(dir, config, logged, journal, sigkill_entry(e.session, r));
    }
    printf("jit-sweep: %zu session(s) checked, %zu ended\n", input->sessions.size(), ended.size());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (int r = parse_options(argc, argv, &o); r != 0) return r < 0 ? 0 : r;
    Config config;
    auto loaded = load_config(o.config_path);
    if (loaded) {
        config = *loaded;
    } else if (o.config_given || access(o.config_path.c_str(), F_OK) == 0) {
        fprintf(stderr, "jit-sweep: %s\n", loaded.error().to_string().c_str());
        return 1;
    }
    SystemJournal journal("jit-sweep");
    return sweep(o, config, journal);
}
