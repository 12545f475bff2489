// Standalone driver for fuzz targets built without libFuzzer: runs LLVMFuzzerTestOneInput once
// per file of every corpus directory or file given, so committed corpora (seeds and crash
// reproducers) replay as ordinary ctest tests with the normal compiler (Zeek's
// zeek_fuzzer_standalone, Wireshark's StandaloneFuzzTargetMain).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

int runFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<char> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Copy into an exactly-sized heap block so ASan catches reads one past the input.
  std::vector<uint8_t> data(buf.begin(), buf.end());
  return LLVMFuzzerTestOneInput(data.data(), data.size());
}

}  // namespace

int main(int argc, char** argv) {
  size_t ran = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(arg)) {
        if (e.is_regular_file()) {
          runFile(e.path());
          ++ran;
        }
      }
    } else if (std::filesystem::is_regular_file(arg)) {
      runFile(arg);
      ++ran;
    } else {
      std::fprintf(stderr, "replay: no such corpus: %s\n", argv[i]);
      return 2;
    }
  }
  if (ran == 0) {
    std::fprintf(stderr, "replay: corpus is empty\n");
    return 2;
  }
  // Also run the empty input, which every target must survive.
  LLVMFuzzerTestOneInput(nullptr, 0);
  std::printf("replay: %zu inputs ran without a crash\n", ran);
  return 0;
}
