// jitctl account add|list|remove: the accounts libnss_jit.so.2 serves.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jit/escape.h"
#include "jit/timefmt.h"
#include "json.h"
#include "render.h"

namespace jit::ctl {

namespace {

using proto::MsgType;

const char* visibility_name(proto::AccountVisibility v) {
    return v == proto::AccountVisibility::Always ? "always" : "granted";
}

const char* origin_name(proto::AccountOrigin o) {
    return o == proto::AccountOrigin::Config ? "jitd.conf" : "jitctl";
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
    return out;
}

void account_json(JsonWriter& w, const msg::AccountRecord& a) {
    w.begin_object();
    w.key("name").value(a.name);
    w.key("uid").value(a.uid);
    w.key("gid").value(a.gid);
    w.key("home").value(a.home);
    w.key("shell").value(a.shell);
    w.key("gecos").value(a.gecos);
    w.key("visible").value(visibility_name(a.visibility));
    w.key("groups").begin_array();
    for (const auto& g : a.groups) w.value(g);
    w.end_array();
    w.key("origin").value(origin_name(a.origin));
    w.key("created").value(format_iso8601(a.created));
    w.end_object();
}

void print_accounts(const Globals& g, const std::vector<msg::AccountRecord>& accounts,
                    const char* verb) {
    if (g.json) {
        JsonWriter w;
        w.begin_object().key("accounts").begin_array();
        for (const auto& a : accounts) account_json(w, a);
        w.end_array().end_object();
        printf("%s\n", w.str().c_str());
        return;
    }
    if (verb) {
        for (const auto& a : accounts)
            printf("%s account %s: uid %llu, gid %llu, visible %s%s%s\n", verb,
                   escape_text(a.name).c_str(), (unsigned long long)a.uid,
                   (unsigned long long)a.gid, visibility_name(a.visibility),
                   a.groups.empty() ? "" : ", groups ", escape_text(join(a.groups)).c_str());
        return;
    }
    if (accounts.empty()) {
        printf("No NSS accounts.\n");
        return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : accounts)
        rows.push_back({escape_text(a.name), std::to_string(a.uid), std::to_string(a.gid),
                        visibility_name(a.visibility),
                        a.groups.empty() ? "-" : escape_text(join(a.groups)), escape_text(a.home),
                        escape_text(a.shell), origin_name(a.origin)});
    printf(
        "%s",
        table({"NAME", "UID", "GID", "VISIBLE", "GROUPS", "HOME", "SHELL", "FROM"}, rows).c_str());
}

bool parse_uid(const char* text, uint64_t* out) {
    char* end = nullptr;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || v == 0 || v > 0xfffffffeull) return false;
    *out = v;
    return true;
}

int run_add(Globals g, int argc, char** argv) {
    static const option opts[] = {{"uid", required_argument, nullptr, 'u'},
                                  {"groups", required_argument, nullptr, 'G'},
                                  {"home", required_argument, nullptr, 'd'},
                                  {"shell", required_argument, nullptr, 's'},
                                  {"gecos", required_argument, nullptr, 'c'},
                                  {"visible", required_argument, nullptr, 'v'},
                                  JIT_COMMON_OPTIONS};
    msg::AccountAddRequest req;
    OptionParser p{*find_command("account"), g, argc, argv, opts, "hu:G:d:s:c:"};
    for (int c; (c = p.next()) != -1;) {
        switch (c) {
            case 'u': {
                uint64_t uid;
                if (!parse_uid(optarg, &uid))
                    return usage_error("account add", "--uid: a number from 1 to 4294967294");
                req.uid = uid;
                break;
            }
            case 'G':
                split_commas(optarg, &req.groups);
                break;
            case 'd':
                req.home = optarg;
                break;
            case 's':
                req.shell = optarg;
                break;
            case 'c':
                req.gecos = optarg;
                break;
            case 'v':
                if (strcmp(optarg, "always") == 0)
                    req.visibility = proto::AccountVisibility::Always;
                else if (strcmp(optarg, "granted") == 0)
                    req.visibility = proto::AccountVisibility::Granted;
                else
                    return usage_error("account add", "--visible: always or granted");
                break;
            case 'h':
                break;
            default:
                return usage_error("account add", "unknown option");
        }
    }
    if (p.help) return print_help(p.command), kExitOk;
    if (argc - optind != 1) return usage_error("account add", "expects exactly one NAME");
    req.name = argv[optind];
    if (req.groups.size() > proto::kMaxGroups)
        return usage_error("account add", "at most 16 groups");
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply = conn.call(msg::encode(req, request_id()), MsgType::AccountReply);
    if (!reply) return failed(reply.error());
    print_accounts(g, msg::decode_account_list(reply->view).accounts, "added");
    return kExitOk;
}

int run_remove(Globals g, int argc, char** argv) {
    static const option opts[] = {JIT_COMMON_OPTIONS};
    OptionParser p{*find_command("account"), g, argc, argv, opts, "h"};
    for (int c; (c = p.next()) != -1;)
        if (c != 'h') return usage_error("account remove", "unknown option");
    if (p.help) return print_help(p.command), kExitOk;
    if (argc - optind != 1) return usage_error("account remove", "expects exactly one NAME");
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply = conn.call(msg::encode(msg::AccountRemoveRequest{argv[optind]}, request_id()),
                           MsgType::AccountReply);
    if (!reply) return failed(reply.error());
    print_accounts(g, msg::decode_account_list(reply->view).accounts, "removed");
    return kExitOk;
}

int run_list(Globals g, int argc, char** argv) {
    static const option opts[] = {JIT_COMMON_OPTIONS};
    OptionParser p{*find_command("account"), g, argc, argv, opts, "h"};
    for (int c; (c = p.next()) != -1;)
        if (c != 'h') return usage_error("account list", "unknown option");
    if (p.help) return print_help(p.command), kExitOk;
    if (optind != argc) return usage_error("account list", "takes no arguments");
    Connection conn(g.socket_path, g.timeout_ms);
    auto reply =
        conn.call(msg::encode_account_list_request(request_id()), MsgType::AccountListReply);
    if (!reply) return failed(reply.error());
    print_accounts(g, msg::decode_account_list(reply->view).accounts, nullptr);
    return kExitOk;
}

int run_account(Globals g, int argc, char** argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        if (argc >= 2) return print_help(*find_command("account")), kExitOk;
        return usage_error("account", "expects add, list or remove");
    }
    const char* sub = argv[1];
    optind = 0;
    if (strcmp(sub, "add") == 0) return run_add(g, argc - 1, argv + 1);
    if (strcmp(sub, "remove") == 0) return run_remove(g, argc - 1, argv + 1);
    if (strcmp(sub, "list") == 0) return run_list(g, argc - 1, argv + 1);
    return usage_error("account", std::string("unknown subcommand '") + escape_text(sub) + "'");
}

}  // namespace

extern const Command kAccountCommand{
    "account", "declare, list and remove NSS accounts",
    "Usage: jitctl account add NAME [--uid N] [--groups G[,G...]] [--home DIR] [--shell SH]\n"
    "                               [--gecos TEXT] [--visible always|granted]\n"
    "       jitctl account list\n"
    "       jitctl account remove NAME\n\n"
    "Accounts that libnss_jit.so.2 serves and jit manages.  jitd allocates the uid\n"
    "(and the gid of the account's private group) from [nss] uid_range and\n"
    "gid_range in jitd.conf, unless --uid names one; an id is never used for another\n"
    "name, even after the account is removed.  --visible granted (the default)\n"
    "makes the account resolve only while a grant covers now.  --groups names jit\n"
    "groups it always belongs to while visible.  Accounts declared in jitd.conf\n"
    "are removed there, not here.\n\n"
    "add and remove: root or a member of jitd's admin_group only.  Exit status:\n"
    "0 done, 4 not permitted, 5 no such account, 6 rejected (a name the system\n"
    "already resolves, an id in use, no range configured, ...).\n",
    run_account};

}  // namespace jit::ctl
