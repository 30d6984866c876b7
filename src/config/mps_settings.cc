// mps-control-daemon (spec §1.4): only --mig-strategy merges with the config file, as upstream.
#include "config/programs.h"
#include "config/shared_settings.h"

namespace nvdp::config {

const SettingsTable& MpsDaemonSettings() {
  static const SettingsTable kTable = {
      "mps-control-daemon",
      "NVIDIA MPS Control Daemon",
      "start an MPS control daemon for each MPS-shared resource\n\n"
      "COMMANDS:\n   mount-shm  mount the tmpfs shared by MPS clients at "
      "<mps-container-root>/shm, then exit",
      {
          rows::ConfigFile({"CONFIG_FILE"}),
          rows::SharingPerDevice(),
          rows::MigStrategy({"MIG_STRATEGY"},
                            "the desired strategy for exposing MIG devices on GPUs that support "
                            "it:\n\t\t[none | single | mixed]"),
          rows::ContainerDriverRoot("where the NVIDIA driver root is mounted in this container; "
                                    "NVML, and the NVIDIA tools when they are not on PATH, are "
                                    "looked for there"),
          rows::MpsContainerRoot(
              "where the host's MPS root (the plugin's --mps-root) is mounted in this container"),
      }};
  return kTable;
}

}  // namespace nvdp::config
