// --dry-run: what a start would advertise, for operators to check a node or a config first.
#pragma once

#include <string>

#include "plugin/plugin_manager.h"

namespace nvdp::plugin {

std::string DescribeAsText(const Plan& plan);
std::string DescribeAsJson(const Plan& plan);

}  // namespace nvdp::plugin
