// Writes an NSS snapshot with jitd's own writer, for the module tests and the
// benchmark.  The description comes on standard input, one item a line:
//
//   account NAME UID GID always|granted [home=DIR] [shell=SH] [gecos=TEXT] [groups=G,G]
//   group NAME GID
//   grant USER FROM UNTIL [groups=G,G]
//   bulk COUNT FIRST_UID always|granted     (accounts u000000.. with uids from FIRST_UID)
//
// FROM and UNTIL are seconds since the epoch, or +N / -N seconds from now.
// '#' starts a comment.  OUTPUT must be an absolute path.
// Usage: mksnapshot OUTPUT [NOW] < description
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <iostream>
#include <sstream>
#include <string>

#include "daemon/accounts/nss_publisher.h"
#include "daemon/accounts/snapshot_writer.h"

using namespace jit::daemon;

namespace {

int64_t g_now = 0;

[[noreturn]] void die(const std::string& what) {
    fprintf(stderr, "mksnapshot: %s\n", what.c_str());
    exit(2);
}

int64_t parse_time(const std::string& s) {
    if (s.empty()) die("empty time");
    char* end = nullptr;
    long long v = strtoll(s.c_str(), &end, 10);
    if (*end) die("bad time '" + s + "'");
    return (s[0] == '+' || s[0] == '-') ? g_now + v : v;
}

std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty()) out.push_back(item);
    return out;
}

Visibility parse_visibility(const std::string& s) {
    if (s == "always") return Visibility::Always;
    if (s == "granted") return Visibility::Granted;
    die("visibility must be always or granted, not '" + s + "'");
}

void parse_line(const std::string& raw, SnapshotInput& in) {
    std::string line = raw.substr(0, raw.find('#'));
    std::istringstream words(line);
    std::string kind;
    if (!(words >> kind)) return;
    if (kind == "account") {
        NssAccount a;
        std::string vis;
        if (!(words >> a.name >> a.uid >> a.gid >> vis)) die("account: NAME UID GID VISIBILITY");
        a.visibility = parse_visibility(vis);
        a.home = "/home/" + a.name;
        a.shell = "/bin/sh";
        for (std::string opt; words >> opt;) {
            auto eq = opt.find('=');
            std::string key = opt.substr(0, eq), value = opt.substr(eq + 1);
            if (key == "home")
                a.home = value;
            else if (key == "shell")
                a.shell = value;
            else if (key == "gecos")
                a.gecos = value;
            else if (key == "groups")
                a.groups = split_commas(value);
            else
                die("unknown account option '" + key + "'");
        }
        in.accounts.push_back(a);
    } else if (kind == "group") {
        NssGroup g;
        if (!(words >> g.name >> g.gid)) die("group: NAME GID");
        in.groups.push_back(g);
    } else if (kind == "grant") {
        Grant g;
        std::string from, until;
        if (!(words >> g.user >> from >> until)) die("grant: USER FROM UNTIL");
        g.not_before = parse_time(from);
        g.not_after = parse_time(until);
        for (std::string opt; words >> opt;) {
            if (opt.rfind("groups=", 0) != 0) die("unknown grant option '" + opt + "'");
            g.groups = split_commas(opt.substr(7));
        }
        in.grants.push_back(g);
    } else if (kind == "bulk") {
        uint32_t count = 0, first = 0;
        std::string vis;
        if (!(words >> count >> first >> vis)) die("bulk: COUNT FIRST_UID VISIBILITY");
        for (uint32_t i = 0; i < count; ++i) {
            char name[16];
            snprintf(name, sizeof name, "u%06u", i);
            NssAccount a;
            a.name = name;
            a.uid = a.gid = first + i;
            a.visibility = parse_visibility(vis);
            a.gecos = std::string("bulk account ") + name;
            a.home = std::string("/home/") + name;
            a.shell = "/bin/sh";
            in.accounts.push_back(a);
        }
    } else {
        die("unknown line '" + raw + "'");
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) die("usage: mksnapshot OUTPUT [NOW] < description");
    g_now = argc == 3 ? strtoll(argv[2], nullptr, 10) : int64_t(time(nullptr));
    SnapshotInput in;
    in.now = g_now;
    for (std::string line; std::getline(std::cin, line);) parse_line(line, in);
    auto built = build_snapshot(in);
    if (!built) die(std::string("cannot build: ") + built.error().what);
    // Written by jitd's own code: a new file renamed over the old one, which
    // is then marked superseded.
    auto written = SnapshotFile(argv[1]).write(built->bytes);
    if (!written) die(written.error());
    return 0;
}
