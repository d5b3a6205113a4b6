#include "request_cli.h"

namespace jit::ctl {

namespace {

int run_deny(Globals g, int argc, char** argv) {
    static const option opts[] = {{"comment", required_argument, nullptr, 'c'}, JIT_COMMON_OPTIONS};
    msg::RequestAction a;
    OptionParser p{*find_command("deny"), g, argc, argv, opts, "hc:"};
    for (int c; (c = p.next()) != -1;) {
        if (c == 'c')
            a.comment = optarg;
        else if (c != 'h')
            return usage_error("deny", "unknown option");
    }
    if (p.help) return print_help(p.command), kExitOk;
    if (argc - optind != 1) return usage_error("deny", "expects exactly one REQUEST-ID");
    if (a.comment.empty()) return usage_error("deny", "--comment is required: say why");
    a.id = argv[optind];
    return request_action(g, proto::MsgType::RequestDeny, a);
}

}  // namespace

extern const Command kDenyCommand{
    "deny", "deny a pending request (approvers)",
    "Usage: jitctl deny REQUEST-ID --comment TEXT\n\n"
    "Denies the request at once: one denial ends it.  Who may deny is who may\n"
    "approve.  Exit status: 0 denied, 4 not permitted, 5 no such request,\n"
    "6 rejected (already decided).\n",
    run_deny};

}  // namespace jit::ctl
