#include <errno.h>
#include <stdio.h>
#include <time.h>

#include <algorithm>

#include "daemon/policy/command_scope.h"
#include "jit/escape.h"
#include "jit/timefmt.h"
#include "render_requests.h"
#include "id_token.h"
#include "request_cli.h"

namespace jit::ctl {

namespace {

// The sudo command part of explain: each grant of the account that covers
// sudo now, judged by jitd's own matcher against the command as given.
Result<CommandExplanation, CallError> judge_command(const Globals& g, const msg::ExplainQuery& q,
                                                    const std::string& line,
                                                    const std::string& runas) {
    CommandExplanation out;
    out.runas = runas;
    daemon::CommandAsk cmd;
    cmd.user = q.user;
    cmd.service = "sudo";
    size_t colon = runas.find(':');
    cmd.runas_user = runas.substr(0, colon);
    if (colon != std::string::npos) cmd.runas_group = runas.substr(colon + 1);
    auto words = daemon::parse_command_pattern(line);
    if (!words) {
        out.line = escape_text(line);
        out.error = words.error();
        return out;
    }
    cmd.command = out.path = words->path;
    cmd.args = out.args = words->args;
    out.line = daemon::command_line(cmd);
    msg::ListRequest req;
    req.user = q.user;
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply = conn.call(msg::encode(req, request_id()), proto::MsgType::ListReply);
    if (!reply) return reply.error();
    auto list = msg::decode_grant_list(reply->view);
    int64_t now = q.at.value_or(list.now.value_or(int64_t(time(nullptr))));
    for (const auto& gr : list.grants) {
        bool sudo = std::find(gr.services.begin(), gr.services.end(), "sudo") != gr.services.end();
        if (!sudo || now < gr.not_before || now >= gr.not_after) continue;
        CommandExplanation::GrantVerdict v;
        v.grant_id = gr.id;
        if (gr.commands.empty()) {
            v.allow = v.unscoped = true;
        } else {
            auto j = daemon::judge_command(gr.commands, gr.runas, cmd);
            if (j.allow && gr.uses_left && *gr.uses_left == 0) j = {false, "", "no use left"};
            v.allow = j.allow;
            (j.allow ? v.pattern : v.why) = j.allow ? j.pattern : j.why;
        }
        out.allowed = out.allowed || v.allow;
        out.grants.push_back(std::move(v));
    }
    return out;
}

int run_explain(Globals g, int argc, char** argv) {
    static const option opts[] = {
        {"from", required_argument, nullptr, 'F'},     {"at", required_argument, nullptr, 'a'},
        {"command", required_argument, nullptr, 'C'},  {"runas", required_argument, nullptr, 'R'},
        {"id-token", required_argument, nullptr, 'I'}, JIT_COMMON_OPTIONS};
    msg::ExplainQuery q;
    const char* id_token = nullptr;
    std::string command, runas = "root";
    OptionParser p{*find_command("explain"), g, argc, argv, opts, "h"};
    for (int c; (c = p.next()) != -1;) {
        if (c == 'F') {
            q.rhost = optarg;
        } else if (c == 'a') {
            auto t = parse_timestamp(optarg);
            if (!t) return usage_error("explain", std::string("--at: ") + t.error().what);
            q.at = *t;
        } else if (c == 'C') {
            command = optarg;
        } else if (c == 'R') {
            runas = optarg;
        } else if (c == 'I') {
            id_token = optarg;
        } else if (c != 'h') {
            return usage_error("explain", "unknown option");
        }
    }
    if (p.help) return print_help(p.command), kExitOk;
    if (argc - optind != 2) return usage_error("explain", "expects ACCOUNT and SERVICE");
    q.user = argv[optind];
    q.service = argv[optind + 1];
    if (id_token) {
        if (auto bad = read_id_token(id_token, &q.id_token)) return usage_error("explain", *bad);
    }
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply = conn.call(msg::encode(q, request_id()), proto::MsgType::ExplainReply);
    if (!reply && reply.error().error.code == EACCES && !q.id_token.empty()) {
        // The token itself was refused: no rule was judged.
        fprintf(stderr, "jitctl: %s\n", reply.error().error.message.c_str());
        return kExitDenied;
    }
    if (!reply) return failed(reply.error());
    auto e = msg::decode_explain_reply(reply->view);
    if (command.empty()) {
        printf("%s", (g.json ? explain_json(q, e) : explain_text(q, e)).c_str());
        return e.decision == proto::Decision::Allow ? kExitOk : kExitDenied;
    }
    auto c = judge_command(g, q, command, runas);
    if (!c) return failed(c.error());
    printf("%s",
           (g.json ? explain_json(q, e, &*c) : explain_text(q, e) + command_text(q, *c)).c_str());
    return c->allowed ? kExitOk : kExitDenied;
}

}  // namespace

extern const Command kExplainCommand{
    "explain", "show which rules apply and what a check would answer",
    "Usage: jitctl explain ACCOUNT SERVICE [--from IP] [--at TIME]\n"
    "                      [--command \"PATH ARG...\" [--runas USER[:GROUP]]]\n"
    "                      [--id-token FILE|-]\n\n"
    "Shows what pam_jit's check would answer for ACCOUNT on SERVICE (from IP,\n"
    "at TIME, default now), computed by the same code as the check, and every\n"
    "policy rule for them: each condition as holding (+), failing (-) or\n"
    "needed from a request (?), and pending requests with their approvals.\n"
    "With --command (SERVICE sudo): each grant covering sudo judged against\n"
    "the command, the absolute path sudo would resolve and its arguments\n"
    "separated by blanks: the pattern that matches, or why none does; with\n"
    "--json, as the \"command\" member.  The exit status is then sudo's verdict.\n"
    "With --id-token (a workload's OIDC token in FILE, or - for standard input):\n"
    "the token is verified (a refusal names its reason) and the rules for its\n"
    "issuer are judged against its claims, naming the claim that fails; the\n"
    "token is not spent.\n"
    "Changes nothing; administrators and the account's approvers may ask.\n"
    "Exit status: 0 a check would allow, 1 it would deny.\n",
    run_explain};

}  // namespace jit::ctl
