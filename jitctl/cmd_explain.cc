#include <stdio.h>

#include "jit/timefmt.h"
#include "render_requests.h"
#include "request_cli.h"

namespace jit::ctl {

namespace {

int run_explain(Globals g, int argc, char** argv) {
    static const option opts[] = {{"from", required_argument, nullptr, 'F'},
                                  {"at", required_argument, nullptr, 'a'},
                                  JIT_COMMON_OPTIONS};
    msg::ExplainQuery q;
    OptionParser p{*find_command("explain"), g, argc, argv, opts, "h"};
    for (int c; (c = p.next()) != -1;) {
        if (c == 'F') {
            q.rhost = optarg;
        } else if (c == 'a') {
            auto t = parse_timestamp(optarg);
            if (!t) return usage_error("explain", std::string("--at: ") + t.error().what);
            q.at = *t;
        } else if (c != 'h') {
            return usage_error("explain", "unknown option");
        }
    }
    if (p.help) return print_help(p.command), kExitOk;
    if (argc - optind != 2) return usage_error("explain", "expects ACCOUNT and SERVICE");
    q.user = argv[optind];
    q.service = argv[optind + 1];
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply = conn.call(msg::encode(q, request_id()), proto::MsgType::ExplainReply);
    if (!reply) return failed(reply.error());
    auto e = msg::decode_explain_reply(reply->view);
    printf("%s", (g.json ? explain_json(q, e) : explain_text(q, e)).c_str());
    return e.decision == proto::Decision::Allow ? kExitOk : kExitDenied;
}

}  // namespace

extern const Command kExplainCommand{
    "explain", "show which rules apply and what a check would answer",
    "Usage: jitctl explain ACCOUNT SERVICE [--from IP] [--at TIME]\n\n"
    "Shows what pam_jit's check would answer for ACCOUNT on SERVICE (from IP,\n"
    "at TIME, default now), computed by the same code as the check, and every\n"
    "policy rule for them: each condition as holding (+), failing (-) or\n"
    "needed from a request (?), and pending requests with their approvals.\n"
    "Changes nothing; any local user may ask.\n"
    "Exit status: 0 a check would allow, 1 it would deny.\n",
    run_explain};

}  // namespace jit::ctl
