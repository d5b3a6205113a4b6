#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "connection.h"
#include "jit/escape.h"
#include "jit/timefmt.h"
#include "json.h"
#include "render.h"

namespace jit::ctl {

namespace {

using proto::MsgType;

uint32_t request_id() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return uint32_t(ts.tv_nsec) ^ uint32_t(ts.tv_sec);
}

int usage_error(const char* command, const std::string& message) {
    fprintf(stderr, "jitctl %s: %s\nTry 'jitctl %s --help'.\n", command, message.c_str(), command);
    return kExitUsage;
}

int failed(const Failure& f) {
    fprintf(stderr, "jitctl: %s\n", escape_text(f.message).c_str());
    return f.exit_code;
}

void split_commas(const char* arg, std::vector<std::string>* out) {
    std::string s(arg);
    size_t start = 0;
    while (start <= s.size()) {
        size_t comma = s.find(',', start);
        std::string item =
            s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!item.empty()) out->push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
}

// getopt_long over a subcommand's arguments; "-h/--help" is handled here.
// Every subcommand also takes the global --json after its name.
constexpr int kJsonOption = 'J';
// clang-format off
#define JIT_COMMON_OPTIONS \
    {"help", no_argument, nullptr, 'h'}, {"json", no_argument, nullptr, kJsonOption}, \
    {nullptr, 0, nullptr, 0}
// clang-format on

struct OptionParser {
    const Command& command;
    Globals& globals;
    int argc;
    char** argv;
    const option* options;
    const char* shortopts;
    bool help = false;

    // Returns the next option that is the command's own: -1 at the end, '?'
    // on error (already reported).  --help and --json are handled here.
    int next() {
        for (;;) {
            int c = getopt_long(argc, argv, shortopts, options, nullptr);
            if (c == 'h') help = true;
            if (c == kJsonOption) {
                globals.json = true;
                continue;
            }
            return c;
        }
    }
};

void print_help(const Command& c) {
    printf("%s", c.usage);
}

// ---- check ----

int run_check(Globals g, int argc, char** argv) {
    static const option opts[] = {{"rhost", required_argument, nullptr, 'r'},
                                  {"tty", required_argument, nullptr, 't'},
                                  {"ruser", required_argument, nullptr, 'u'},
                                  JIT_COMMON_OPTIONS};
    msg::CheckRequest req;
    OptionParser p{*find_command("check"), g, argc, argv, opts, "h"};
    for (int c; (c = p.next()) != -1;) {
        if (c == 'r')
            req.rhost = optarg;
        else if (c == 't')
            req.tty = optarg;
        else if (c == 'u')
            req.ruser = optarg;
        else if (c != 'h')
            return usage_error("check", "unknown option");
    }
    if (p.help) return print_help(p.command), kExitOk;
    if (argc - optind != 2) return usage_error("check", "expects USER and SERVICE");
    req.user = argv[optind];
    req.service = argv[optind + 1];
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply = conn.call(msg::encode(req, request_id()), MsgType::CheckReply);
    if (!reply) return failed(reply.error());
    auto r = msg::decode_check_reply(reply->view);
    bool allow = r.decision == proto::Decision::Allow;
    int64_t now = int64_t(time(nullptr));
    if (g.json) {
        JsonWriter w;
        w.begin_object().key("decision").value(allow ? "allow" : "deny");
        w.key("user").value(req.user).key("service").value(req.service);
        w.key("reason").value(r.reason).key("rule").value(r.rule);
        w.key("grant_id");
        if (r.grant_id.empty())
            w.null();
        else
            w.value(r.grant_id);
        w.key("not_after");
        if (r.not_after)
            w.value(format_iso8601(*r.not_after));
        else
            w.null();
        w.end_object();
        printf("%s\n", w.str().c_str());
    } else if (allow) {
        printf("allow: %s may use %s under grant %s until %s (%s)\n", escape_text(req.user).c_str(),
               escape_text(req.service).c_str(), escape_text(r.grant_id).c_str(),
               format_utc(r.not_after.value_or(0)).c_str(),
               format_relative(r.not_after.value_or(0), now).c_str());
    } else {
        printf("deny: %s may not use %s: %s\n", escape_text(req.user).c_str(),
               escape_text(req.service).c_str(), escape_text(r.reason).c_str());
    }
    return allow ? kExitOk : kExitDenied;
}

// ---- grant ----

void print_grants(const Globals& g, const std::vector<msg::GrantRecord>& grants, const char* verb) {
    int64_t now = int64_t(time(nullptr));
    if (g.json) {
        printf("%s", grants_json(grants, now).c_str());
        return;
    }
    for (const auto& gr : grants) {
        std::string services;
        for (const auto& s : gr.services) services += (services.empty() ? "" : ",") + s;
        printf("%s %s: %s on %s until %s (%s)\n", verb, gr.id.c_str(), escape_text(gr.user).c_str(),
               escape_text(services).c_str(), format_utc(gr.not_after).c_str(),
               gr.ended_at ? "ended now" : format_relative(gr.not_after, now).c_str());
    }
}

int run_grant(Globals g, int argc, char** argv) {
    static const option opts[] = {{"service", required_argument, nullptr, 's'},
                                  {"for", required_argument, nullptr, 'f'},
                                  {"from", required_argument, nullptr, 'F'},
                                  {"until", required_argument, nullptr, 'U'},
                                  {"reason", required_argument, nullptr, 'r'},
                                  {"source", required_argument, nullptr, 'S'},
                                  JIT_COMMON_OPTIONS};
    msg::GrantRequest req;
    const char* from = nullptr;
    const char* until = nullptr;
    OptionParser p{*find_command("grant"), g, argc, argv, opts, "hs:r:"};
    for (int c; (c = p.next()) != -1;) {
        switch (c) {
            case 's':
                split_commas(optarg, &req.services);
                break;
            case 'f': {
                auto d = parse_duration(optarg);
                if (!d) return usage_error("grant", std::string("--for: ") + d.error().what);
                req.duration = *d;
                break;
            }
            case 'F':
                from = optarg;
                break;
            case 'U':
                until = optarg;
                break;
            case 'r':
                req.reason = optarg;
                break;
            case 'S':
                req.source = optarg;
                break;
            case 'h':
                break;
            default:
                return usage_error("grant", "unknown option");
        }
    }
    if (p.help) return print_help(p.command), kExitOk;
    if (argc - optind != 1) return usage_error("grant", "expects exactly one USER");
    req.user = argv[optind];
    if (req.services.empty())
        return usage_error("grant", "--service is required (e.g. --service sshd,sudo)");
    if (req.services.size() > proto::kMaxServices)
        return usage_error(
            "grant", "at most " + std::to_string(proto::kMaxServices) + " services per grant");
    if (req.reason.empty()) return usage_error("grant", "--reason is required");
    if (req.duration && (from || until))
        return usage_error("grant", "use --for, or --until with optional --from, not both");
    if (!req.duration) {
        if (!until) return usage_error("grant", "say how long: --for 15m, or --until TIME");
        auto end = parse_timestamp(until);
        if (!end) return usage_error("grant", std::string("--until: ") + end.error().what);
        auto start = from ? parse_timestamp(from) : Result<int64_t>(int64_t(time(nullptr)));
        if (!start) return usage_error("grant", std::string("--from: ") + start.error().what);
        req.not_before = *start;
        req.not_after = *end;
    }
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply = conn.call(msg::encode(req, request_id()), MsgType::GrantReply);
    if (!reply) return failed(reply.error());
    print_grants(g, msg::decode_grant_list(reply->view).grants, "granted");
    return kExitOk;
}

// ---- revoke ----

int run_revoke(Globals g, int argc, char** argv) {
    static const option opts[] = {{"user", required_argument, nullptr, 'u'},
                                  {"reason", required_argument, nullptr, 'r'},
                                  JIT_COMMON_OPTIONS};
    msg::RevokeRequest req;
    OptionParser p{*find_command("revoke"), g, argc, argv, opts, "hu:r:"};
    for (int c; (c = p.next()) != -1;) {
        if (c == 'u')
            req.user = optarg;
        else if (c == 'r')
            req.reason = optarg;
        else if (c != 'h')
            return usage_error("revoke", "unknown option");
    }
    if (p.help) return print_help(p.command), kExitOk;
    int rest = argc - optind;
    if (req.user.empty() ? rest != 1 : rest != 0)
        return usage_error("revoke", "expects a GRANT-ID, or --user USER");
    if (rest == 1) req.grant_id = argv[optind];
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply = conn.call(msg::encode(req, request_id()), MsgType::RevokeReply);
    if (!reply) return failed(reply.error());
    print_grants(g, msg::decode_grant_list(reply->view).grants, "revoked");
    return kExitOk;
}

// ---- list ----

int run_list(Globals g, int argc, char** argv) {
    static const option opts[] = {{"user", required_argument, nullptr, 'u'},
                                  {"all", no_argument, nullptr, 'a'},
                                  JIT_COMMON_OPTIONS};
    msg::ListRequest req;
    OptionParser p{*find_command("list"), g, argc, argv, opts, "hu:a"};
    for (int c; (c = p.next()) != -1;) {
        if (c == 'u')
            req.user = optarg;
        else if (c == 'a')
            req.include_ended = true;
        else if (c != 'h')
            return usage_error("list", "unknown option");
    }
    if (p.help) return print_help(p.command), kExitOk;
    if (optind != argc) return usage_error("list", "takes no arguments");
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply = conn.call(msg::encode(req, request_id()), MsgType::ListReply);
    if (!reply) return failed(reply.error());
    auto list = msg::decode_grant_list(reply->view);
    int64_t now = list.now.value_or(int64_t(time(nullptr)));
    if (g.json)
        printf("%s", grants_json(list.grants, now).c_str());
    else if (list.grants.empty())
        printf(req.include_ended ? "No grants.\n" : "No active grants.\n");
    else
        printf("%s", grants_table(list.grants, now, req.include_ended).c_str());
    return kExitOk;
}

// ---- status ----

std::string joined_or_none(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + escape_text(s);
    return out.empty() ? "(none)" : out;
}

int run_status(Globals g, int argc, char** argv) {
    static const option opts[] = {JIT_COMMON_OPTIONS};
    OptionParser p{*find_command("status"), g, argc, argv, opts, "h"};
    for (int c; (c = p.next()) != -1;)
        if (c != 'h') return usage_error("status", "unknown option");
    if (p.help) return print_help(p.command), kExitOk;
    if (optind != argc) return usage_error("status", "takes no arguments");
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply = conn.call(msg::encode_status_request(request_id()), MsgType::StatusReply);
    if (!reply) return failed(reply.error());
    auto s = msg::decode_status_reply(reply->view);
    if (g.json) {
        JsonWriter w;
        w.begin_object().key("version").value(s.version).key("pid").value(s.pid);
        w.key("uptime_seconds").value(s.uptime).key("now").value(format_iso8601(s.now));
        w.key("grants_in_force").value(s.active_grants).key("socket").value(g.socket_path);
        w.key("state_dir").value(s.state_dir).key("schema_version").value(s.schema_version);
        for (auto [name, items] : {std::pair{"managed_users", &s.managed_users},
                                   std::pair{"managed_groups", &s.managed_groups},
                                   std::pair{"managed_uids", &s.managed_uids}}) {
            w.key(name).begin_array();
            for (const auto& i : *items) w.value(i);
            w.end_array();
        }
        w.end_object();
        printf("%s\n", w.str().c_str());
        return kExitOk;
    }
    printf("jitd %s (pid %llu), up %s\n", escape_text(s.version).c_str(), (unsigned long long)s.pid,
           format_duration(int64_t(s.uptime)).c_str());
    printf("  socket:          %s\n", escape_text(g.socket_path).c_str());
    printf("  state:           %s (schema %llu)\n", escape_text(s.state_dir).c_str(),
           (unsigned long long)s.schema_version);
    printf("  grants in force: %llu\n", (unsigned long long)s.active_grants);
    printf("  managed users:   %s\n", joined_or_none(s.managed_users).c_str());
    printf("  managed groups:  %s\n", joined_or_none(s.managed_groups).c_str());
    printf("  managed uids:    %s\n", joined_or_none(s.managed_uids).c_str());
    printf("  server time:     %s\n", format_utc(s.now).c_str());
    return kExitOk;
}

const Command kCommands[] = {
    {"check", "ask whether USER may use SERVICE now (as PAM would)",
     "Usage: jitctl check USER SERVICE [--rhost HOST] [--tty TTY] [--ruser USER]\n\n"
     "Asks jitd the question pam_jit.so asks, and records the decision like any other.\n"
     "Only root (or the uid jitd runs as) may ask.\n"
     "Exit status: 0 allowed, 1 denied, 3 jitd unreachable, 4 not permitted.\n",
     run_check},
    {"grant", "give USER access to services for a while",
     "Usage: jitctl grant USER --service S[,S...] (--for DURATION | --until TIME [--from TIME])\n"
     "                    --reason TEXT [--source CIDR]\n\n"
     "  -s, --service S    PAM services the grant covers (sshd, sudo, ...); repeatable\n"
     "      --for D        from now, for D: 90s, 15m, 2h, 1d\n"
     "      --from T       start at T (default now); T is 2026-11-29T18:15:00Z or @EPOCH\n"
     "      --until T      end at T\n"
     "  -r, --reason TEXT  why (required; recorded in the journal)\n"
     "      --source CIDR  only from these addresses (PAM_RHOST), e.g. 10.0.0.0/8\n\n"
     "Root or a member of jitd's admin_group only.  The grant is on disk before\n"
     "jitctl reports it.  Exit status: 0 granted, 4 not permitted, 6 rejected.\n",
     run_grant},
    {"revoke", "end a grant now (or every grant of a user)",
     "Usage: jitctl revoke GRANT-ID [--reason TEXT]\n"
     "       jitctl revoke --user USER [--reason TEXT]\n\n"
     "Ends the grant at once; new checks are denied from now on.\n"
     "Exit status: 0 revoked, 4 not permitted, 5 no such grant or no active grant\n"
     "for the user, 6 the grant has already ended or the request was rejected.\n",
     run_revoke},
    {"list", "show grants",
     "Usage: jitctl list [--user USER] [--all]\n\n"
     "Shows grants in force or scheduled; --all adds ended ones (newest first).\n"
     "Use the global --json for machine-readable output.\n",
     run_list},
    {"status", "show jitd's state",
     "Usage: jitctl status\n\nShows jitd's version, uptime, state and managed accounts.\n",
     run_status},
};

}  // namespace

const Command* find_command(const std::string& name) {
    for (const auto& c : kCommands)
        if (name == c.name) return &c;
    return nullptr;
}

const Command* commands_begin() {
    return std::begin(kCommands);
}
const Command* commands_end() {
    return std::end(kCommands);
}

}  // namespace jit::ctl
