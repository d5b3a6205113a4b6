#include "cli.h"

#include <stdio.h>
#include <time.h>

#include "jit/escape.h"
#include "jit/timefmt.h"
#include "json.h"
#include "render.h"
#include "render_requests.h"

namespace jit::ctl {

namespace {

using proto::MsgType;

// list --pending / --requests: requests rather than grants.
int list_requests(const Globals& g, const msg::RequestQuery& q) {
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply = conn.call(msg::encode(q, request_id()), MsgType::RequestListReply);
    if (!reply) return failed(reply.error());
    auto list = msg::decode_request_list(reply->view);
    int64_t now = list.now.value_or(int64_t(time(nullptr)));
    if (g.json)
        printf("%s", requests_json(list, now).c_str());
    else if (list.requests.empty())
        printf(q.pending_only ? "No pending requests.\n" : "No requests.\n");
    else
        printf("%s", requests_table(list.requests, list.approvals, now).c_str());
    return kExitOk;
}

int run_list(Globals g, int argc, char** argv) {
    static const option opts[] = {{"user", required_argument, nullptr, 'u'},
                                  {"all", no_argument, nullptr, 'a'},
                                  {"pending", no_argument, nullptr, 'p'},
                                  {"requests", no_argument, nullptr, 'R'},
                                  JIT_COMMON_OPTIONS};
    msg::ListRequest req;
    msg::RequestQuery requests;
    bool want_requests = false;
    OptionParser p{*find_command("list"), g, argc, argv, opts, "hu:ap"};
    for (int c; (c = p.next()) != -1;) {
        if (c == 'u')
            req.user = optarg;
        else if (c == 'a')
            req.include_ended = true;
        else if (c == 'p')
            want_requests = requests.pending_only = true;
        else if (c == 'R')
            want_requests = true;
        else if (c != 'h')
            return usage_error("list", "unknown option");
    }
    if (p.help) return print_help(p.command), kExitOk;
    if (optind != argc) return usage_error("list", "takes no arguments");
    if (want_requests) {
        requests.user = req.user;
        return list_requests(g, requests);
    }
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
    "Usage: jitctl list [--user USER] [--all]\n"
    "       jitctl list --pending | --requests [--user USER]\n\n"
    "Shows grants in force or scheduled; --all adds ended ones (newest first).\n"
    "--pending shows requests waiting for approval, --requests recent requests.\n"
    "Use the global --json for machine-readable output.\n",
    run_list};

}  // namespace jit::ctl
