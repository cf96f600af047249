#pragma once
// The devices of the machine file's "devices" list that models use by name.
#include <cstdint>
#include <string>
#include <vector>

#include "models/machine/machine.h"

namespace models {

// An NVMe drive: a device vertex behind its PCIe link, with its media's read and write rates as
// flow links of their own (a read crosses `read`, then the route from the drive to its target).
struct NvmeDrive {
  std::string name;
  VertexId vertex;
  LinkId read, write;
  Tick io_latency;  // command latency before a read's data moves
};
std::vector<NvmeDrive> nvme_drives(Machine& m);

// Payload bandwidth per direction of a PCIe link of generation `gen` (1..6) and `width` lanes:
// the lane rate after line encoding times the payload share `efficiency`.
double pcie_link_bw(std::int64_t gen, std::int64_t width, double efficiency);

}  // namespace models
