#pragma once
// Pieces of the CLI shared with the Python bindings.
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "sim/json.h"
#include "sim/params.h"
#include "sim/scenario.h"

namespace hetsim {

// Topology description of a machine given by name (configs/) or path.
std::string describe_machine(const std::string& name_or_path);
// Summary table of one run or of a sweep's runs.
void print_summary(std::ostream& os, const sim::Scenario& sc, const std::vector<sim::Json>& results);

}  // namespace hetsim
