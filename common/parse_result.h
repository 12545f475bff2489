#pragma once

#include <cstddef>
#include <string>

namespace bh {

/// Three-way outcome of an incremental decoder step (Suricata's incomplete/err, Envoy's
/// StopIteration): Done consumed bytes; NeedMore says how many bytes in total the caller
/// should hold before calling again; Error stops parsing for the rest of the flow.
enum class ParseStatus { Done, NeedMore, Error };

struct ParseResult {
  ParseStatus status = ParseStatus::Error;
  size_t consumed = 0;  ///< bytes of input used (Done)
  size_t needed = 0;    ///< total bytes needed before the next attempt (NeedMore)
  std::string error;    ///< why (Error); never contains payload bytes

  static ParseResult done(size_t consumed) { return {ParseStatus::Done, consumed, 0, {}}; }
  static ParseResult needMore(size_t needed) { return {ParseStatus::NeedMore, 0, needed, {}}; }
  static ParseResult fail(std::string why) { return {ParseStatus::Error, 0, 0, std::move(why)}; }
  bool ok() const { return status == ParseStatus::Done; }
};

}  // namespace bh
