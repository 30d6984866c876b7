#include "configmanager/options.h"

#include "config/programs.h"
#include "config/settings.h"

namespace nvdp::configmanager {

ParsedCommandLine ParseCommandLine(const std::vector<std::string>& args,
                                   const flags::EnvLookup& env) {
  flags::FlagSet set = config::ConfigManagerSettings().MakeFlagSet();
  ParsedCommandLine result;
  if (!config::ParseFlagsOrExit(set, args, env, &result.exit_code, &result.output)) return result;
  const config::Settings settings(config::ConfigManagerSettings(), set);
  Options o;
  o.oneshot = settings.Bool("oneshot");
  o.kubeconfig = settings.String("kubeconfig");
  o.node_name = settings.String("node-name");
  o.node_label = settings.String("node-label");
  o.update.source_dir = settings.String("config-file-srcdir");
  o.update.destination = settings.String("config-file-dst");
  o.update.default_config = settings.String("default-config");
  o.update.fallback_strategies = settings.Strings("fallback-strategies");
  o.send_signal = settings.Bool("send-signal");
  o.signal = static_cast<int>(settings.Int("signal"));
  o.process_to_signal = settings.String("process-to-signal");
  for (const auto& [value, flag] : {std::pair{&o.node_name, "node-name"},
                                    {&o.node_label, "node-label"},
                                    {&o.update.source_dir, "config-file-srcdir"},
                                    {&o.update.destination, "config-file-dst"}}) {
    if (value->empty()) {
      result.exit_code = 1;
      result.output = std::string("invalid <") + flag + ">: must not be empty string\n";
      return result;
    }
  }
  result.options = std::move(o);
  return result;
}

}  // namespace nvdp::configmanager
