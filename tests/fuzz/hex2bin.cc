// Converts one hex seed (see hex.h) to its bytes: hex2bin IN.hex OUT.bin.
// The fuzz runner uses it so libFuzzer and the replay test read a seed alike.
#include <stdio.h>

#include <fstream>
#include <iterator>
#include <string>

#include "hex.h"

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: hex2bin IN.hex OUT.bin\n");
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) {
        fprintf(stderr, "hex2bin: cannot read %s\n", argv[1]);
        return 1;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto bytes = jit::fuzz::parse_hex(text);
    if (!bytes) {
        fprintf(stderr, "hex2bin: %s is not valid hex (stray character or odd digit count)\n",
                argv[1]);
        return 1;
    }
    std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes->data()), std::streamsize(bytes->size()));
    if (!out) {
        fprintf(stderr, "hex2bin: cannot write %s\n", argv[2]);
        return 1;
    }
    return 0;
}
