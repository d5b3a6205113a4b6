#include "cli.h"

#include <stdio.h>
#include <time.h>

#include "jit/escape.h"
#include "jit/timefmt.h"
#include "render.h"

namespace jit::ctl {

uint32_t request_id() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return uint32_t(ts.tv_nsec) ^ uint32_t(ts.tv_sec);
}

int usage_error(const char* command, const std::string& message) {
    fprintf(stderr, "jitctl %s: %s\nTry 'jitctl %s --help'.\n", command, message.c_str(), command);
    return kExitUsage;
}

int failed(const CallError& f) {
    fprintf(stderr, "jitctl: %s\n", escape_text(f.error.message).c_str());
    return f.exit_code;
}

void split_commas(const char* arg, std::vector<std::string>* out) {
    std::string s(arg);
    size_t start = 0;
    while (start <= s.size()) {
        size_t comma = s.find(',', start);
        std::string item =
            s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!item.empty()) out->push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
}

void print_help(const Command& c) {
    printf("%s", c.usage);
}

int OptionParser::next() {
    for (;;) {
        int c = getopt_long(argc, argv, shortopts, options, nullptr);
        if (c == 'h') help = true;
        if (c == kJsonOption) {
            globals.json = true;
            continue;
        }
        return c;
    }
}

void print_grants(const Globals& g, const std::vector<msg::GrantRecord>& grants, const char* verb) {
    int64_t now = int64_t(time(nullptr));
    if (g.json) {
        printf("%s", grants_json(grants, now).c_str());
        return;
    }
    for (const auto& gr : grants) {
        std::string services;
        for (const auto& s : gr.services) services += (services.empty() ? "" : ",") + s;
        std::string groups;
        for (const auto& s : gr.groups) groups += (groups.empty() ? " in " : ",") + s;
        printf("%s %s: %s on %s%s until %s (%s)\n", verb, gr.id.c_str(),
               escape_text(gr.user).c_str(), escape_text(services).c_str(),
               escape_text(groups).c_str(), format_utc(gr.not_after).c_str(),
               gr.ended_at ? "ended now" : format_relative(gr.not_after, now).c_str());
    }
}

}  // namespace jit::ctl
