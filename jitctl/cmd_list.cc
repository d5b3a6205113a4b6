#include "cli.h"

#include <stdio.h>
#include <time.h>

#include "jit/escape.h"
#include "jit/timefmt.h"
#include "json.h"
#include "render.h"

namespace jit::ctl {

namespace {

using proto::MsgType;

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

}  // namespace

extern const Command kListCommand{
    "list", "show grants",
    "Usage: jitctl list [--user USER] [--all]\n\n"
    "Shows grants in force or scheduled; --all adds ended ones (newest first).\n"
    "Use the global --json for machine-readable output.\n",
    run_list};

}  // namespace jit::ctl
