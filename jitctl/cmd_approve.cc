#include "jit/timefmt.h"
#include "request_cli.h"

namespace jit::ctl {

namespace {

int run_approve(Globals g, int argc, char** argv) {
    static const option opts[] = {{"comment", required_argument, nullptr, 'c'},
                                  {"for", required_argument, nullptr, 'f'},
                                  {"service", required_argument, nullptr, 's'},
                                  {"source", required_argument, nullptr, 'S'},
                                  JIT_COMMON_OPTIONS};
    msg::RequestAction a;
    OptionParser p{*find_command("approve"), g, argc, argv, opts, "hc:s:"};
    for (int c; (c = p.next()) != -1;) {
        if (c == 'c') {
            a.comment = optarg;
        } else if (c == 'f') {
            auto d = parse_duration(optarg);
            if (!d) return usage_error("approve", std::string("--for: ") + d.error().what);
            a.duration = *d;
        } else if (c == 's') {
            split_commas(optarg, &a.services);
        } else if (c == 'S') {
            a.source = optarg;
        } else if (c != 'h') {
            return usage_error("approve", "unknown option");
        }
    }
    if (p.help) return print_help(p.command), kExitOk;
    if (argc - optind != 1) return usage_error("approve", "expects exactly one REQUEST-ID");
    a.id = argv[optind];
    return request_action(g, proto::MsgType::RequestApprove, a);
}

}  // namespace

extern const Command kApproveCommand{
    "approve", "approve a pending request (approvers)",
    "Usage: jitctl approve REQUEST-ID [--comment TEXT] [--for D] [--service S[,S...]]\n"
    "                      [--source CIDR]\n\n"
    "Adds your approval.  When the rule's number of approvals is reached the\n"
    "grant is created.  You may narrow the request, never widen it:\n"
    "  -f, --for D        shorten it to D\n"
    "  -s, --service S    keep only these of the requested services\n"
    "      --source CIDR  keep only this part of the requested source\n"
    "  -c, --comment TEXT recorded with your approval\n\n"
    "Only members of the rule's approver groups; never the requester, never the\n"
    "account itself; each approver counts once.\n"
    "Exit status: 0 approved (or approval recorded), 4 not permitted, 5 no such\n"
    "request, 6 rejected (already decided, or the grant no longer fits the rule).\n",
    run_approve};

}  // namespace jit::ctl
