// Logging in the klog line format that Kubernetes operators read:
//   I1126 23:11:34.123456    1234 file.cc:123] message
// Messages use fmt syntax. The spdlog back end lives in log.cc only, to keep it out of every TU.
#pragma once

#include <fmt/core.h>

#include <ostream>
#include <string_view>

namespace nvdp::log {

enum class Level { kDebug, kInfo, kWarning, kError, kFatal };

bool Enabled(Level level);
void SetMinLevel(Level level);
// Parses "debug", "info", "warning", "error"; returns false for anything else.
bool ParseLevel(std::string_view text, Level* level);
void Write(Level level, const char* file, int line, std::string_view message);
// Sends log lines to `out` instead of stderr (nullptr restores stderr). For tests.
void RedirectForTesting(std::ostream* out);

}  // namespace nvdp::log

#define NVDP_LOG(level, ...)                                                     \
  do {                                                                           \
    if (::nvdp::log::Enabled(level))                                             \
      ::nvdp::log::Write(level, __FILE__, __LINE__, ::fmt::format(__VA_ARGS__)); \
  } while (0)

#define LOG_DEBUG(...) NVDP_LOG(::nvdp::log::Level::kDebug, __VA_ARGS__)
#define LOG_INFO(...) NVDP_LOG(::nvdp::log::Level::kInfo, __VA_ARGS__)
#define LOG_WARNING(...) NVDP_LOG(::nvdp::log::Level::kWarning, __VA_ARGS__)
#define LOG_ERROR(...) NVDP_LOG(::nvdp::log::Level::kError, __VA_ARGS__)
