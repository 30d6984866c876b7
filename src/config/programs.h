// The settings table of every program (spec §1.1-§1.4, plus our additions, marked in their help).
#pragma once

#include "config/settings.h"

namespace nvdp::config {

const SettingsTable& DevicePluginSettings();
const SettingsTable& FeatureDiscoverySettings();
const SettingsTable& MpsDaemonSettings();
const SettingsTable& ConfigManagerSettings();
const SettingsTable& DraPluginSettings();

}  // namespace nvdp::config
