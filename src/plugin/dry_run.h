// --dry-run: what a start would advertise, for operators to check a node or a config first.
#pragma once

#include <string>
#include <vector>

#include "device/inventory.h"
#include "plugin/resource.h"

namespace nvdp::plugin {

std::string DescribeAsText(const device::Inventory& inventory,
                           const std::vector<Resource>& resources);
std::string DescribeAsJson(const device::Inventory& inventory,
                           const std::vector<Resource>& resources);

}  // namespace nvdp::plugin
