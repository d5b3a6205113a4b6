#include <stdio.h>
#include <string.h>

#include <set>

#include "fleet_cli.h"
#include "jit/escape.h"
#include "jit/fleet_messages.h"
#include "json.h"

namespace jit::ctl {

namespace {

constexpr const char* kFleetUsage =
    "Usage: jitctl [--fleet-socket PATH] --fleet OPERATION [ARGS]\n\n"
    "  list [--pending]      every fleet record, verified; or the requests awaiting\n"
    "                        approval, with their approvals so far\n"
    "  approve REQUEST       approve fleet request fr-...; the approval that completes\n"
    "                        the count mints the fleet grant fg-...\n"
    "  revoke GRANT [--reason TEXT]\n"
    "                        revoke fleet grant fg-... on every host it reaches\n"
    "  request ACCOUNT --hosts SELECTOR --service S[,S] --for D --reason TEXT\n"
    "                        (also: jitctl request ACCOUNT --hosts SELECTOR ...)\n\n"
    "jit-fleet answers on its socket (default $JITCTL_FLEET_SOCKET, else\n"
    "/run/jit/jit-fleet.sock) for the person its fleet.conf maps your account to\n"
    "([person NAME] users =); root acts for the host.  See jitctl(1), jit-fleet(8).\n";

bool name_char(char c) {
    return isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

bool valid_name(const std::string& s) {
    if (s.empty() || s.size() > 63) return false;
    for (char c : s)
        if (!name_char(c)) return false;
    return true;
}

}  // namespace

std::string selector_problem(const std::string& text) {
    if (text.find(';') != std::string::npos)
        return "one selector per request (no ';'): labels that every chosen host has";
    std::set<std::string> names;
    size_t start = 0;
    int pairs = 0;
    while (start <= text.size()) {
        size_t cut = text.find_first_of(", \t", start);
        std::string item = text.substr(start, cut == std::string::npos ? cut : cut - start);
        start = cut == std::string::npos ? text.size() + 1 : cut + 1;
        if (item.empty()) continue;
        if (item == "*") return "name labels, such as role=web (every host is not a selector here)";
        size_t eq = item.find('=');
        if (eq == std::string::npos) return "\"" + item + "\" is not NAME=VALUE";
        std::string k = item.substr(0, eq), v = item.substr(eq + 1);
        if (!valid_name(k) || !valid_name(v))
            return "\"" + item + "\": label names and values are letters, digits, - _ . only";
        if (!names.insert(k).second) return "label " + k + " twice";
        ++pairs;
    }
    if (pairs == 0) return "empty selector: name labels, such as role=web,env=prod";
    return "";
}

int fleet_call(const Globals& g, const std::string& op, const std::vector<std::string>& args) {
    msg::FleetAdminRequest req{op, args};
    Connection conn(g.fleet_socket, g.timeout_ms, "jit-fleet");
    auto reply = conn.call(msg::encode(req, request_id()), proto::MsgType::FleetAdminReply);
    if (!reply) return failed(reply.error());
    auto lines = msg::decode_fleet_admin_reply(reply->view).lines;
    if (g.json) {
        JsonWriter w;
        w.begin_object().key("operation").value(op).key("lines").begin_array();
        for (const auto& l : lines) w.value(l);
        w.end_array().end_object();
        printf("%s\n", w.str().c_str());
        return kExitOk;
    }
    for (const auto& l : lines) printf("%s\n", escape_text(l).c_str());
    return kExitOk;
}

int run_fleet(Globals g, int argc, char** argv) {
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        fputs(kFleetUsage, argc < 1 ? stderr : stdout);
        return argc < 1 ? kExitUsage : kExitOk;
    }
    std::string op = argv[0];
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--json")) {
            g.json = true;
            continue;
        }
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(kFleetUsage, stdout);
            return kExitOk;
        }
        args.emplace_back(argv[i]);
    }
    if (op != "list" && op != "approve" && op != "revoke" && op != "request") {
        fprintf(stderr, "jitctl --fleet: unknown operation '%s'\n%s", op.c_str(), kFleetUsage);
        return kExitUsage;
    }
    if (op == "request") {
        for (size_t i = 0; i + 1 < args.size(); ++i)
            if (args[i] == "--hosts")
                if (auto bad = selector_problem(args[i + 1]); !bad.empty())
                    return usage_error("request", "--hosts \"" + args[i + 1] + "\": " + bad);
    }
    return fleet_call(g, op, args);
}

}  // namespace jit::ctl
