#include "mps/options.h"

#include "common/strings.h"
#include "config/effective.h"
#include "config/parse.h"
#include "config/programs.h"
#include "config/settings.h"

namespace nvdp::mps {

Options CommandLine::Load() const {
  config::Settings settings(config::MpsDaemonSettings(), set_);
  Options o;
  o.warnings = config::FinalizeAfterMerge(settings.config(), settings.Bool("sharing-per-device"));
  const std::string mig = settings.String("mig-strategy");
  const auto strategy = config::ParseMigStrategy(mig);
  if (!strategy) {
    throw config::ConfigError("unknown MIG strategy: " + Abbreviate(mig, 120) +
                              " (none, single or mixed)");
  }
  o.mig_strategy = *strategy;
  o.container_driver_root = settings.String("driver-root-ctr-path");
  o.root = settings.String("mps-container-root");
  if (o.root.empty() || o.root.front() != '/') {
    throw config::ConfigError("--mps-container-root must be an absolute path; found \"" +
                              Abbreviate(o.root, 120) + "\"");
  }
  o.config = std::move(settings.config());
  return o;
}

ParsedCommandLine ParseCommandLine(const std::vector<std::string>& args,
                                   const flags::EnvLookup& env) {
  ParsedCommandLine result;
  flags::FlagSet set = config::MpsDaemonSettings().MakeFlagSet();
  std::vector<std::string> positional;
  bool run =
      config::ParseFlagsOrExit(set, args, env, &result.exit_code, &result.output, &positional);
  if (run && !positional.empty() && positional[0] == "mount-shm") {
    // The subcommand may be followed by flags: parse again without it.
    std::vector<std::string> rest = args;
    rest.erase(rest.begin() + static_cast<long>(args.size() - positional.size()));
    set = config::MpsDaemonSettings().MakeFlagSet();
    run = config::ParseFlagsOrExit(set, rest, env, &result.exit_code, &result.output, &positional);
    result.command = Command::kMountShm;
  }
  if (!run) return result;
  if (!positional.empty()) {
    result.exit_code = 1;
    result.output = "mps-control-daemon: unknown command \"" + positional[0] +
                    "\" (the only command is mount-shm)\n";
    return result;
  }
  result.command_line.emplace(std::move(set));
  return result;
}

}  // namespace nvdp::mps
