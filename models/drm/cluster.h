#pragma once
// A multi-node cluster: `nodes` machines, each the one the machine file describes, joined by a
// NIC fabric (InfiniBand or RoCE, a non-blocking fat tree). Only the first machine is built;
// the others are taken to behave exactly as it does (same GPUs, same work, same timing), so
// what a GPU of this machine sends to its peer on the next machine equals what its peer on the
// previous machine sends to it. A send to another node is therefore a flow out through this
// GPU's NIC (its transmit link) and back in through the same NIC's receive link: the bytes a
// NIC carries each way and their timing are those of the real cluster. A straggling node or
// an oversubscribed fabric core is not modelled.
#include <optional>
#include <string>
#include <vector>

#include "models/machine/machine.h"

namespace models {

struct ClusterNic {
  VertexId vertex;
  LinkId tx, rx;  // NIC to fabric, fabric to NIC
};

struct Cluster {
  int nodes = 1;
  // The links a send from `gpu` to the same GPU of another node crosses: out through its NIC
  // and in through the mirror NIC (see above).
  std::vector<LinkId> remote_path(const Machine& m, VertexId gpu) const;
  const ClusterNic& nic_of(VertexId gpu) const;

  std::vector<std::pair<VertexId, ClusterNic>> nics;  // per GPU vertex: the NIC it uses
};

// The machine's cluster (the "cluster" section), or nullopt for a single machine (nodes 1).
std::optional<Cluster> machine_cluster(const Machine& m);

// A cluster NIC by vertex name ("" = the first NIC the cluster section built), or nullopt
// when the machine has no such NIC. Hosts (not only GPUs) send through it: a flow from a
// memory vertex crosses route(from, nic), its tx link, the mirror NIC's rx link and
// route(nic, to) (see above).
std::optional<ClusterNic> find_cluster_nic(const Machine& m, const std::string& name);
std::vector<LinkId> nic_remote_path(const Machine& m, const ClusterNic& nic, VertexId from,
                                    VertexId to);

}  // namespace models
