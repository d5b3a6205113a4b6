#include <errno.h>
#include <stdio.h>
#include <time.h>

#include <algorithm>
#include <optional>

#include "jit/timefmt.h"
#include "fleet_cli.h"
#include "id_token.h"
#include "request_cli.h"

namespace jit::ctl {

namespace {

using proto::MsgType;

struct WaitOptions {
    bool wait = false;
    int64_t timeout = 0;  // seconds; 0: until the request leaves pending
};

void sleep_ms(long ms) {
    timespec ts{ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

// Polls the request until it leaves pending (jitd answers every poll at
// once; it never holds a connection open for us).
int wait_for(const Globals& g, msg::RequestList reply, const WaitOptions& w) {
    const int64_t deadline = w.timeout ? int64_t(time(nullptr)) + w.timeout : 0;
    long interval = 200;
    int unreachable = 0;
    msg::RequestAction show;
    show.id = reply.requests[0].id;
    if (!g.json) fprintf(stderr, "jitctl: waiting for %s to be decided...\n", show.id.c_str());
    while (reply.requests[0].state == proto::RequestState::Pending) {
        if (deadline && int64_t(time(nullptr)) >= deadline) break;
        sleep_ms(interval);
        interval = std::min(interval * 3 / 2, 2000L);
        Connection conn(g.socket_path, g.timeout_ms);
        auto got =
            conn.call(msg::encode(MsgType::RequestShow, show, request_id()), MsgType::RequestReply);
        if (!got) {
            // jitd restarting is not the end of the wait; a refusal is.
            if (got.error().exit_code != kExitUnreachable || ++unreachable > 30)
                return failed(got.error());
            continue;
        }
        unreachable = 0;
        reply = msg::decode_request_list(got->view);
    }
    print_request(g, reply);
    return exit_for_state(reply.requests[0].state);
}

bool parse_window(msg::RequestCreate& req, const char* from, const char* until, int* error) {
    auto fail = [&](const std::string& m) { return *error = usage_error("request", m), false; };
    if (req.duration && until) return fail("use --for or --until, not both");
    if (!req.duration && !until) return fail("say how long: --for 15m, or --until TIME");
    int64_t now = int64_t(time(nullptr));
    int64_t start = now;
    if (from) {
        auto t = parse_timestamp(from);
        if (!t) return fail(std::string("--from: ") + t.error().what);
        if (req.start_on_approval) return fail("--from and --on-approval exclude each other");
        start = *t;
        req.not_before = start;
    }
    if (until) {
        auto end = parse_timestamp(until);
        if (!end) return fail(std::string("--until: ") + end.error().what);
        if (*end <= std::max(start, now)) return fail("--until must be after the start");
        req.duration = uint64_t(*end - std::max(start, now));
        if (req.start_on_approval) return fail("--until and --on-approval exclude each other");
    }
    return true;
}

struct RequestArgs {
    msg::RequestCreate req;
    const char* from = nullptr;
    const char* until = nullptr;
    const char* id_token = nullptr;  // FILE or -
    const char* hosts = nullptr;     // a fleet request: jit-fleet, not jitd
    WaitOptions wait;
};

// One option into a; an exit status when it is wrong.
std::optional<int> request_option(int c, RequestArgs& a) {
    switch (c) {
        case 's':
            split_commas(optarg, &a.req.services);
            break;
        case 'f': {
            auto d = parse_duration(optarg);
            if (!d) return usage_error("request", std::string("--for: ") + d.error().what);
            a.req.duration = *d;
            break;
        }
        case 'F':
            a.from = optarg;
            break;
        case 'U':
            a.until = optarg;
            break;
        case 'r':
            a.req.reason = optarg;
            break;
        case 't':
            a.req.ticket = optarg;
            break;
        case 'S':
            a.req.source = optarg;
            break;
        case 'A':
            a.req.start_on_approval = true;
            break;
        case 'w':
            a.wait.wait = true;
            break;
        case 'T': {
            auto d = parse_duration(optarg);
            if (!d) return usage_error("request", std::string("--timeout: ") + d.error().what);
            a.wait.timeout = int64_t(*d);
            break;
        }
        case 'C':
            a.req.commands.emplace_back(optarg);  // one pattern, blanks and all
            break;
        case 'R':
            split_commas(optarg, &a.req.runas);
            break;
        case 'I':
            a.id_token = optarg;
            break;
        case 'H':
            a.hosts = optarg;
            break;
        case 'h':
            break;
        default:
            return usage_error("request", "unknown option");
    }
    return std::nullopt;
}

// --hosts: a fleet request, made by jit-fleet for the hosts whose labels
// match; what only jitd's local requests have is refused here, by name.
int fleet_request(const Globals& g, const RequestArgs& a) {
    const msg::RequestCreate& req = a.req;
    const char* local_only = a.from                  ? "--from"
                             : a.until               ? "--until"
                             : req.start_on_approval ? "--on-approval"
                             : a.wait.wait           ? "--wait"
                             : !req.ticket.empty()   ? "--ticket"
                             : !req.source.empty()   ? "--source"
                             : !req.commands.empty() ? "--command"
                             : !req.runas.empty()    ? "--runas"
                             : a.id_token            ? "--id-token"
                                                     : nullptr;
    if (local_only)
        return usage_error("request", std::string(local_only) +
                                          " is for local requests, not fleet ones (--hosts)");
    if (auto bad = selector_problem(a.hosts); !bad.empty())
        return usage_error("request", "--hosts \"" + std::string(a.hosts) + "\": " + bad);
    if (!req.duration) return usage_error("request", "say how long: --for 30m");
    if (req.reason.empty())
        return usage_error("request", "--reason is required for a fleet request");
    std::string services;
    for (const auto& s : req.services) services += (services.empty() ? "" : ",") + s;
    return fleet_call(g, "request",
                      {req.user, "--hosts", a.hosts, "--service", services, "--for",
                       std::to_string(req.duration) + "s", "--reason", req.reason});
}

int run_request(Globals g, int argc, char** argv) {
    static const option opts[] = {{"service", required_argument, nullptr, 's'},
                                  {"for", required_argument, nullptr, 'f'},
                                  {"from", required_argument, nullptr, 'F'},
                                  {"until", required_argument, nullptr, 'U'},
                                  {"reason", required_argument, nullptr, 'r'},
                                  {"ticket", required_argument, nullptr, 't'},
                                  {"source", required_argument, nullptr, 'S'},
                                  {"on-approval", no_argument, nullptr, 'A'},
                                  {"wait", no_argument, nullptr, 'w'},
                                  {"timeout", required_argument, nullptr, 'T'},
                                  {"command", required_argument, nullptr, 'C'},
                                  {"runas", required_argument, nullptr, 'R'},
                                  {"id-token", required_argument, nullptr, 'I'},
                                  {"hosts", required_argument, nullptr, 'H'},
                                  JIT_COMMON_OPTIONS};
    RequestArgs a;
    msg::RequestCreate& req = a.req;
    const WaitOptions& w = a.wait;
    OptionParser p{*find_command("request"), g, argc, argv, opts, "hs:r:t:w"};
    for (int c; (c = p.next()) != -1;)
        if (auto bad = request_option(c, a)) return *bad;
    if (p.help) return print_help(p.command), kExitOk;
    if (argc - optind != 1) return usage_error("request", "expects exactly one ACCOUNT");
    req.user = argv[optind];
    if (req.services.empty()) return usage_error("request", "--service is required");
    if (req.services.size() > proto::kMaxServices)
        return usage_error("request", "at most 16 services per request");
    if (w.timeout && !w.wait) return usage_error("request", "--timeout goes with --wait");
    int error = kExitUsage;
    if (a.hosts) return fleet_request(g, a);
    if (!parse_window(req, a.from, a.until, &error)) return error;
    if (a.id_token) {
        if (auto bad = read_id_token(a.id_token, &req.id_token))
            return usage_error("request", *bad);
    }
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply = conn.call(msg::encode(req, request_id()), MsgType::RequestReply);
    if (!reply) {
        // Policy said no: that is a denial, not a permission problem.
        if (reply.error().error.code == EACCES) {
            fprintf(stderr, "jitctl: %s\n", reply.error().error.message.c_str());
            return kExitDenied;
        }
        return failed(reply.error());
    }
    auto list = msg::decode_request_list(reply->view);
    if (w.wait) return wait_for(g, list, w);
    print_request(g, list);
    return kExitOk;
}

}  // namespace

extern const Command kRequestCommand{
    "request", "ask policy for access to an account (any user)",
    "Usage: jitctl request ACCOUNT --service S[,S...] (--for D | --until T) [--from T]\n"
    "                      [--reason TEXT] [--ticket ID] [--source CIDR|local]\n"
    "                      [--on-approval] [--wait [--timeout D]]\n"
    "                      [--command PATTERN]... [--runas USER[:GROUP][,...]]\n"
    "                      [--id-token FILE|-]\n"
    "       jitctl request ACCOUNT --hosts SELECTOR --service S[,S] --for D\n"
    "                      --reason TEXT        (a fleet request, through jit-fleet)\n\n"
    "  -s, --service S     PAM services (sshd, sudo, ...)\n"
    "      --for D         how long: 90s, 15m, 2h\n"
    "      --until T       or until when (T: 2026-11-29T18:15:00Z or @EPOCH)\n"
    "      --from T        start later (book ahead); default now\n"
    "      --on-approval   the clock starts when the request is approved\n"
    "  -r, --reason TEXT   why (most rules require one)\n"
    "  -t, --ticket ID     change ticket, if the rule asks for one\n"
    "      --source CIDR   from where (PAM_RHOST), or local; some rules require it\n"
    "      --command P     sudo may run only commands matching P (with --service\n"
    "                      sudo); within the rule's commands; repeatable\n"
    "      --runas U       with --command: as whom (default: the rule's, or root)\n"
    "      --id-token F    ask as the workload whose OIDC token is in file F (or\n"
    "                      - for standard input; never the token itself, since a\n"
    "                      command line is readable by every local user)\n"
    "      --hosts SEL     a fleet request for every host whose labels match SEL\n"
    "                      (role=web,env=prod), sent to jit-fleet's socket; approved\n"
    "                      with jitctl --fleet approve.  See jitctl(1)\n"
    "  -w, --wait          wait until the request is decided\n"
    "      --timeout D     stop waiting after D\n\n"
    "Policy decides at once: the request is approved (a grant exists), pending\n"
    "until approvers decide, or denied with the rule and condition that failed.\n"
    "Exit status: 0 created (with --wait: approved), 1 denied, 7 expired,\n"
    "8 cancelled, 9 still pending at --timeout; 2 usage, 3 jitd unreachable,\n"
    "6 rejected (invalid).\n",
    run_request};

}  // namespace jit::ctl
