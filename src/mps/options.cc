#include "mps/options.h"

#include "common/version.h"
#include "config/effective.h"
#include "config/parse.h"

namespace nvdp::mps {

using flags::Kind;

namespace {

flags::FlagSet MakeFlagSet() {
  flags::FlagSet set("mps-control-daemon", "NVIDIA MPS Control Daemon",
                     "start an MPS control daemon for each MPS-shared resource\n\n"
                     "COMMANDS:\n   mount-shm  mount the tmpfs shared by MPS clients at "
                     "<mps-container-root>/shm, then exit",
                     VersionText());
  set.Add({{"config-file"},
           {"CONFIG_FILE"},
           Kind::kString,
           {""},
           "the path to a config file as an alternative to command line options or environment "
           "variables"});
  set.Add({{"mig-strategy"},
           {"MIG_STRATEGY"},
           Kind::kString,
           {"none"},
           "the desired strategy for exposing MIG devices on GPUs that support it:\n"
           "\t\t[none | single | mixed]"});
  set.Add({{"driver-root-ctr-path", "container-driver-root"},
           {"DRIVER_ROOT_CTR_PATH", "CONTAINER_DRIVER_ROOT"},
           Kind::kString,
           {"/driver-root"},
           "where the NVIDIA driver root is mounted in this container; NVML, and the NVIDIA tools "
           "when they are not on PATH, are looked for there"});
  set.Add({{"mps-container-root"},
           {"MPS_CONTAINER_ROOT"},
           Kind::kString,
           {kContainerRoot},
           "where the host's MPS root (the plugin's --mps-root) is mounted in this container"});
  return set;
}

}  // namespace

Options CommandLine::Load() const {
  Options o;
  const std::string path = set_.Get("config-file").str();
  if (!path.empty()) o.config = config::LoadConfigFile(path);
  flags::MergeFlag(o.config.flags.mig_strategy, set_.Get("mig-strategy"),
                   set_.Get("mig-strategy").str());
  o.warnings = config::FinalizeAfterMerge(o.config);
  o.mig_strategy = o.config.flags.mig_strategy.value_or("none");
  if (o.mig_strategy != "none" && o.mig_strategy != "single" && o.mig_strategy != "mixed") {
    throw config::ConfigError("unknown MIG strategy: " + o.mig_strategy +
                              " (none, single or mixed)");
  }
  o.container_driver_root = set_.Get("driver-root-ctr-path").str();
  o.root = set_.Get("mps-container-root").str();
  if (o.root.empty() || o.root.front() != '/') {
    throw config::ConfigError("--mps-container-root must be an absolute path; found \"" + o.root +
                              "\"");
  }
  return o;
}

ParsedCommandLine ParseCommandLine(const std::vector<std::string>& args,
                                   const flags::EnvLookup& env) {
  ParsedCommandLine result;
  flags::FlagSet set = MakeFlagSet();
  flags::ParseResult parsed = set.Parse(args, env);
  if (!parsed.exit_code && !parsed.positional.empty() && parsed.positional[0] == "mount-shm") {
    // The subcommand may be followed by flags: parse again without it.
    std::vector<std::string> rest = args;
    rest.erase(rest.begin() + static_cast<long>(args.size() - parsed.positional.size()));
    set = MakeFlagSet();
    parsed = set.Parse(rest, env);
    result.command = Command::kMountShm;
  }
  if (parsed.exit_code) {
    result.exit_code = *parsed.exit_code;
    result.output = parsed.output;
    return result;
  }
  if (!parsed.positional.empty()) {
    result.exit_code = 1;
    result.output = "mps-control-daemon: unknown command \"" + parsed.positional[0] +
                    "\" (the only command is mount-shm)\n";
    return result;
  }
  result.command_line.emplace(std::move(set));
  return result;
}

}  // namespace nvdp::mps
