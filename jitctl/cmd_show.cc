#include <stdio.h>
#include <time.h>

#include "render_requests.h"
#include "request_cli.h"

namespace jit::ctl {

namespace {

int run_show(Globals g, int argc, char** argv) {
    static const option opts[] = {JIT_COMMON_OPTIONS};
    OptionParser p{*find_command("show"), g, argc, argv, opts, "h"};
    for (int c; (c = p.next()) != -1;)
        if (c != 'h') return usage_error("show", "unknown option");
    if (p.help) return print_help(p.command), kExitOk;
    if (argc - optind != 1) return usage_error("show", "expects exactly one REQUEST-ID");
    msg::RequestAction a;
    a.id = argv[optind];
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply = conn.call(msg::encode(proto::MsgType::RequestShow, a, request_id()),
                           proto::MsgType::RequestReply);
    if (!reply) return failed(reply.error());
    auto list = msg::decode_request_list(reply->view);
    if (g.json)
        print_request(g, list);
    else
        printf("%s",
               request_detail(list.requests[0], list.approvals, int64_t(time(nullptr))).c_str());
    return kExitOk;
}

}  // namespace

extern const Command kShowCommand{
    "show", "show one request and its approvals",
    "Usage: jitctl show REQUEST-ID\n\n"
    "Any local user may look.  Exit status: 0 shown, 5 no such request.\n",
    run_show};

}  // namespace jit::ctl
