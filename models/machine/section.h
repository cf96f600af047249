#pragma once
// Machine-file sections owned by the subsystems that use them. A subsystem registers its
// section once (key, parameters, doc, and optionally a builder that adds its vertices and
// links to the machine graph); the machine validates every registered section when it
// loads, whether or not a model of the run uses it, and rejects keys that no subsystem owns.
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/params.h"

namespace models {

class Machine;

struct MachineSection {
  std::string key;                    // "tlb", "dma"
  const sim::ParamList& (*params)();  // the one declaration of its keys
  bool list = false;                  // a list of objects (one per engine, device...)
  std::string doc;                    // one line for `hetsim list`
  // Adds what the section describes to the machine (graph vertices and links). Builders run
  // after the CPU, fabric and memory are built, in ascending `order`, then by key.
  std::function<void(Machine&, const std::vector<sim::Params>&)> build = nullptr;
  int order = 100;
  // Prints what the section derives from the machine (e.g. the sched domains) for
  // `hetsim describe`; the section's effective values are printed in any case.
  std::function<void(const Machine&, std::ostream&)> describe = nullptr;
};

// Registers a section (and lists it in `hetsim list` as machine.KEY or machine.KEY[]).
bool register_machine_section(MachineSection s);
// Every registered section, in builder order.
const std::vector<MachineSection>& machine_sections();

}  // namespace models
