#include "request_cli.h"

namespace jit::ctl {

namespace {

int run_cancel(Globals g, int argc, char** argv) {
    static const option opts[] = {{"comment", required_argument, nullptr, 'c'}, JIT_COMMON_OPTIONS};
    msg::RequestAction a;
    OptionParser p{*find_command("cancel"), g, argc, argv, opts, "hc:"};
    for (int c; (c = p.next()) != -1;) {
        if (c == 'c')
            a.comment = optarg;
        else if (c != 'h')
            return usage_error("cancel", "unknown option");
    }
    if (p.help) return print_help(p.command), kExitOk;
    if (argc - optind != 1) return usage_error("cancel", "expects exactly one REQUEST-ID");
    a.id = argv[optind];
    return request_action(g, proto::MsgType::RequestCancel, a);
}

}  // namespace

extern const Command kCancelCommand{
    "cancel", "withdraw a pending request",
    "Usage: jitctl cancel REQUEST-ID [--comment TEXT]\n\n"
    "The requester, root or a member of jitd's admin_group may cancel.\n"
    "Exit status: 0 cancelled, 4 not permitted, 5 no such request, 6 already decided.\n",
    run_cancel};

}  // namespace jit::ctl
