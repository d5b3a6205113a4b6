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

}  // namespace

extern const Command kRevokeCommand{
    "revoke", "end a grant now (or every grant of a user)",
    "Usage: jitctl revoke GRANT-ID [--reason TEXT]\n"
    "       jitctl revoke --user USER [--reason TEXT]\n\n"
    "Ends the grant at once; new checks are denied from now on.\n"
    "Exit status: 0 revoked, 4 not permitted, 5 no such grant or no active grant\n"
    "for the user, 6 the grant has already ended or the request was rejected.\n",
    run_revoke};

}  // namespace jit::ctl
