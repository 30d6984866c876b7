#include "common/log.h"

// klog letters: spdlog's "critical" is printed as F (fatal), as klog does.
#define SPDLOG_SHORT_LEVEL_NAMES \
  { "T", "D", "I", "W", "E", "F", "O" }
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>
#include <mutex>

namespace nvdp::log {
namespace {

// klog: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg (klog prints the process id there).
constexpr const char* kKlogPattern = "%L%m%d %H:%M:%S.%f %7P %s:%#] %v";

std::atomic<Level> g_min_level{Level::kInfo};

spdlog::level::level_enum ToSpdlog(Level level) {
  switch (level) {
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarning:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
    case Level::kFatal:
      return spdlog::level::critical;
  }
  return spdlog::level::info;
}

std::shared_ptr<spdlog::logger> MakeLogger(spdlog::sink_ptr sink) {
  auto logger = std::make_shared<spdlog::logger>("nvdp", std::move(sink));
  logger->set_pattern(kKlogPattern, spdlog::pattern_time_type::local);
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::trace);
  return logger;
}

std::mutex g_logger_mutex;
std::shared_ptr<spdlog::logger> g_logger;

std::shared_ptr<spdlog::logger> Logger() {
  std::lock_guard lock(g_logger_mutex);
  if (!g_logger) g_logger = MakeLogger(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  return g_logger;
}

}  // namespace

bool Enabled(Level level) { return level >= g_min_level.load(std::memory_order_relaxed); }

void SetMinLevel(Level level) { g_min_level.store(level); }

bool ParseLevel(std::string_view text, Level* level) {
  if (text == "debug")
    *level = Level::kDebug;
  else if (text == "info")
    *level = Level::kInfo;
  else if (text == "warning" || text == "warn")
    *level = Level::kWarning;
  else if (text == "error")
    *level = Level::kError;
  else
    return false;
  return true;
}

void Write(Level level, const char* file, int line, std::string_view message) {
  Logger()->log(spdlog::source_loc{file, line, ""}, ToSpdlog(level), message);
}

void RedirectForTesting(std::ostream* out) {
  auto logger = out ? MakeLogger(std::make_shared<spdlog::sinks::ostream_sink_mt>(*out, true))
                    : MakeLogger(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  std::lock_guard lock(g_logger_mutex);
  g_logger = std::move(logger);
}

}  // namespace nvdp::log
