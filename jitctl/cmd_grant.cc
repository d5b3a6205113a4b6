#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <optional>

#include "jit/escape.h"
#include "jit/timefmt.h"
#include "json.h"
#include "render.h"

namespace jit::ctl {

namespace {

using proto::MsgType;

struct GrantArgs {
    msg::GrantRequest req;
    const char* from = nullptr;
    const char* until = nullptr;
};

// One option into a; an exit status when it is wrong.
std::optional<int> grant_option(int c, GrantArgs& a) {
    switch (c) {
        case 's':
            split_commas(optarg, &a.req.services);
            break;
        case 'f': {
            auto d = parse_duration(optarg);
            if (!d) return usage_error("grant", std::string("--for: ") + d.error().what);
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
        case 'S':
            a.req.source = optarg;
            break;
        case 'E':
            a.req.until_session_end = true;
            break;
        case 'N': {
            char* end = nullptr;
            errno = 0;
            unsigned long long n = strtoull(optarg, &end, 10);
            if (errno || *end || optarg[0] < '1' || optarg[0] > '9' || n > proto::kMaxUses)
                return usage_error(
                    "grant", "--uses takes a count from 1 to " + std::to_string(proto::kMaxUses));
            a.req.uses = n;
            break;
        }
        case 'G':
            split_commas(optarg, &a.req.groups);
            break;
        case 'C':
            a.req.commands.emplace_back(optarg);  // one pattern, blanks and all
            break;
        case 'R':
            split_commas(optarg, &a.req.runas);
            break;
        case 'h':
            break;
        default:
            return usage_error("grant", "unknown option");
    }
    return std::nullopt;
}

// The options taken together: what is required, and one way to say the window.
std::optional<int> finish_grant(GrantArgs& a) {
    msg::GrantRequest& req = a.req;
    if (req.services.empty())
        return usage_error("grant", "--service is required (e.g. --service sshd,sudo)");
    if (req.services.size() > proto::kMaxServices)
        return usage_error(
            "grant", "at most " + std::to_string(proto::kMaxServices) + " services per grant");
    if (req.reason.empty()) return usage_error("grant", "--reason is required");
    if (req.groups.size() > proto::kMaxGroups)
        return usage_error("grant",
                           "at most " + std::to_string(proto::kMaxGroups) + " groups per grant");
    if (req.duration && (a.from || a.until))
        return usage_error("grant", "use --for, or --until with optional --from, not both");
    if (req.duration) return std::nullopt;
    if (!a.until) return usage_error("grant", "say how long: --for 15m, or --until TIME");
    auto end = parse_timestamp(a.until);
    if (!end) return usage_error("grant", std::string("--until: ") + end.error().what);
    auto start = a.from ? parse_timestamp(a.from) : Result<int64_t>(int64_t(time(nullptr)));
    if (!start) return usage_error("grant", std::string("--from: ") + start.error().what);
    req.not_before = *start;
    req.not_after = *end;
    return std::nullopt;
}

int run_grant(Globals g, int argc, char** argv) {
    static const option opts[] = {{"service", required_argument, nullptr, 's'},
                                  {"for", required_argument, nullptr, 'f'},
                                  {"from", required_argument, nullptr, 'F'},
                                  {"until", required_argument, nullptr, 'U'},
                                  {"reason", required_argument, nullptr, 'r'},
                                  {"source", required_argument, nullptr, 'S'},
                                  {"until-session-end", no_argument, nullptr, 'E'},
                                  {"uses", required_argument, nullptr, 'N'},
                                  {"group", required_argument, nullptr, 'G'},
                                  {"command", required_argument, nullptr, 'C'},
                                  {"runas", required_argument, nullptr, 'R'},
                                  JIT_COMMON_OPTIONS};
    GrantArgs a;
    OptionParser p{*find_command("grant"), g, argc, argv, opts, "hs:r:"};
    for (int c; (c = p.next()) != -1;)
        if (auto bad = grant_option(c, a)) return *bad;
    if (p.help) return print_help(p.command), kExitOk;
    if (argc - optind != 1) return usage_error("grant", "expects exactly one USER");
    a.req.user = argv[optind];
    if (auto bad = finish_grant(a)) return *bad;
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply = conn.call(msg::encode(a.req, request_id()), MsgType::GrantReply);
    if (!reply) return failed(reply.error());
    print_grants(g, msg::decode_grant_list(reply->view).grants, "granted");
    return kExitOk;
}

}  // namespace

extern const Command kGrantCommand{
    "grant", "give USER access to services for a while",
    "Usage: jitctl grant USER --service S[,S...] (--for DURATION | --until TIME [--from TIME])\n"
    "                    --reason TEXT [--source CIDR] [--group G[,G...]]\n"
    "                    [--until-session-end] [--uses N]\n"
    "                    [--command PATTERN]... [--runas USER[:GROUP][,...]]\n\n"
    "  -s, --service S    PAM services the grant covers (sshd, sudo, ...); repeatable\n"
    "      --for D        from now, for D: 90s, 15m, 2h, 1d\n"
    "      --from T       start at T (default now); T is 2026-11-29T18:15:00Z or @EPOCH\n"
    "      --until T      end at T\n"
    "  -r, --reason TEXT  why (required; recorded in the journal)\n"
    "      --source CIDR  only from these addresses (PAM_RHOST), e.g. 10.0.0.0/8\n"
    "      --until-session-end  the grant ends when the first session it admits closes\n"
    "      --uses N       at most N admissions (sshd logins, sudo runs), 1..1000000;\n"
    "                     with --command, N sudo commands\n"
    "      --command P    sudo may run only commands matching P (needs --service sudo\n"
    "                     and jit_sudo.so): \"/usr/bin/systemctl restart web.service\",\n"
    "                     exact path, one word per argument, '*' inside a word;\n"
    "                     repeatable (see jit-policy(5), COMMANDS)\n"
    "      --runas U      with --command: as whom (default root); U or U:GROUP\n"
    "      --group G      also put USER in jit group G for the window (NSS, see\n"
    "                     libnss_jit(8)); a new name becomes a jit group\n\n"
    "Root or a member of jitd's admin_group only.  The grant is on disk before\n"
    "jitctl reports it.  Exit status: 0 granted, 4 not permitted, 6 rejected.\n",
    run_grant};

}  // namespace jit::ctl
