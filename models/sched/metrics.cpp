// Metrics of the scheduler, its balancers and its workloads (see sim/metric_catalog.h).
#include "sim/metric_catalog.h"

namespace {

using K = sim::MetricDecl::Kind;

HETSIM_METRICS(
    "machine.sched",
    {
        {"sched.ops", K::Counter, "count",
         "operations the workloads completed (messages, requests, units)"},
        {"sched.throughput_ops", K::Derived, "1/s", "operations per simulated second"},
        {"sched.throughput_per_cpu", K::Derived, "1/s",
         "operations per second per housekeeping CPU"},
        {"sched.utilization", K::Derived, "ratio", "task CPU time over housekeeping CPU time"},
        {"sched.tasks", K::Derived, "count", "tasks spawned"},
        {"sched.wakeups", K::Counter, "count", "task wakeups"},
        {"sched.context_switches", K::Counter, "count", "switches from one task to another"},
        {"sched.preemptions", K::Counter, "count", "running tasks preempted (tick or wakeup)"},
        {"sched.bursts_started", K::Counter, "count", "CPU bursts the workloads asked for"},
        {"sched.bursts_completed", K::Counter, "count", "CPU bursts that ran to their end"},
        {"sched.bursts_in_flight", K::Derived, "count",
         "bursts started but not completed at the end"},
        {"sched.work_issued_ns", K::Counter, "ns", "CPU work the workloads asked for"},
        {"sched.work_done_ns", K::Counter, "ns", "CPU work the tasks received"},
        {"sched.migrations.fork", K::Counter, "count",
         "tasks placed away from their parent's CPU at fork"},
        {"sched.migrations.wakeup", K::Counter, "count",
         "wakeups placed on another CPU than the task's previous one"},
        {"sched.migrations.balance", K::Counter, "count", "tasks moved by the load balancer"},
        {"sched.migrations_total", K::Derived, "count", "task migrations of every cause"},
        {"sched.migrations_per_kop", K::Derived, "count",
         "wakeup and balance migrations per 1000 operations"},
        {"sched.migrations_by_distance.{distance}", K::Counter, "count",
         "migrations by distance: smt, llc, ccd, socket, remote"},
        {"sched.balance_moves_stale", K::Counter, "count",
         "balance decisions whose task had left its queue when they committed"},
        {"sched.cpu_ns.{charge}", K::Counter, "ns",
         "CPU time charged to scheduler work: context_switch, newidle_balance, tick_balance, "
         "switch_balance, kick_balance, wake_scan, ipi_handler, steal, wakeup"},
        {"sched.balance_cpu_ms", K::Derived, "ms",
         "CPU time of all load balancing (newidle, tick, switch, kick, wake scans)"},
        {"sched.balance_cpu_share", K::Derived, "ratio",
         "balance CPU time over housekeeping CPU time"},
        {"sched.idle_llc_waiting_ms", K::Derived, "ms",
         "CPU time idle while a CPU of the same LLC had a task waiting"},
        {"sched.idle_llc_waiting_share", K::Derived, "ratio",
         "idle_llc_waiting_ms over housekeeping CPU time"},
        {"sched.cache_refill_ns", K::Counter, "ns",
         "time spent refilling working sets after cache-cold migrations"},
        {"sched.dl.throttles", K::Counter, "count",
         "SCHED_DEADLINE tasks throttled on exhausting their runtime (CBS)"},
        {"sched.dl.replenishments", K::Counter, "count",
         "SCHED_DEADLINE runtime replenishments at the start of a period"},
        {"sched.dl.wakeup_new_deadlines", K::Counter, "count",
         "SCHED_DEADLINE wakeups past the deadline (or overflowing it) given a new deadline"},
        {"sched.dl.deadline_misses", K::Counter, "count",
         "SCHED_DEADLINE tasks throttled after their absolute deadline had passed"},
        {"sched.ipis.resched", K::Counter, "count",
         "reschedule IPIs (remote wakeups and preemptions)"},
        {"sched.ipis.balance_kick", K::Counter, "count",
         "IPIs that kick an idle CPU into nohz balancing"},
        {"sched.ipis_total", K::Derived, "count", "scheduler IPIs of both kinds"},
        {"sched.nohz.tick_stops", K::Counter, "count",
         "times a CPU stopped its tick on going idle"},
        {"sched.affinity_violations", K::Counter, "count",
         "tasks run outside their allowed CPUs (must be 0)"},
        {"sched.isolation_violations", K::Counter, "count",
         "unpinned tasks run on isolated CPUs (must be 0)"},
        {"sched.rq_imbalance", K::Average, "count",
         "run-queue length of the longest minus the shortest housekeeping CPU, sampled"},
        {"sched.rq_max", K::Average, "count", "longest run queue, sampled"},
        {"sched.wakeup_latency", K::Histogram, "us", "time from wakeup to running, every task"},
    });

HETSIM_METRICS("balance/pull",
               {
                   {"sched.lb.{level}.{idle}.count", K::Derived, "count",
                    "load_balance attempts per domain level (smt, mc, pkg, numa) and idle type "
                    "(busy, idle, newidle), as /proc/schedstat (pull, and the pulls of push)"},
                   {"sched.lb.{level}.{idle}.balanced", K::Derived, "count",
                    "attempts that found the domain balanced"},
                   {"sched.lb.{level}.{idle}.failed", K::Derived, "count",
                    "attempts that found an imbalance but moved nothing"},
                   {"sched.lb.{level}.{idle}.gained", K::Derived, "count", "tasks moved"},
                   {"sched.lb.{level}.newidle_bailouts", K::Derived, "count",
                    "newidle balances that stopped before this level (avg_idle ran out)"},
                   {"sched.newidle_skipped", K::Counter, "count",
                    "newidle balances skipped because avg_idle was too short"},
                   {"sched.numa_balance_contended", K::Counter, "count",
                    "NUMA-level balances skipped: another CPU held the serialising lock"},
               });

HETSIM_METRICS(
    "balance/push",
    {
        {"sched.push.pushes", K::Counter, "count", "tasks pushed from a busy CPU to an idle one"},
        {"sched.push.newidle_pulls", K::Counter, "count", "one-task pulls by newly idle CPUs"},
        {"sched.push.nohz_busy_skipped", K::Counter, "count",
         "nohz-mask CPUs skipped as targets because they were busy again"},
        {"sched.push.target_collisions", K::Counter, "count",
         "pushes whose target another pusher had just chosen"},
    });

HETSIM_METRICS("workload/schbench", {{"{instance}.wakeup_latency", K::Histogram, "us",
                                      "worker wakeup latency (schbench's headline)"}});
HETSIM_METRICS("workload/hackbench",
               {{"{instance}.messages", K::Derived, "count", "messages delivered"},
                {"{instance}.time_ms", K::Derived, "ms",
                 "time until every loop finished (absent if cut by the stop time)"}});
HETSIM_METRICS("workload/gpu_launch",
               {{"gpu_launch.{label}.wakeup_latency", K::Histogram, "us",
                 "launch threads' wakeup latency (fence signal or replenishment to running)"},
                {"gpu_launch.{label}.launch_gap", K::Histogram, "us",
                 "from a fence signalling to the waiting thread starting its next launch"},
                {"gpu_launch.{label}.iteration", K::Histogram, "us",
                 "time between one thread's consecutive job completions"},
                {"gpu_launch.{label}.jobs", K::Counter, "count", "GPU jobs completed"},
                {"gpu_launch.{label}.jobs_per_s", K::Derived, "1/s",
                 "GPU jobs completed per second"},
                {"gpu_launch.{label}.gpu_idle_share", K::Derived, "ratio",
                 "share of the time the GPU ring was idle (waiting on the CPU side)"}});
HETSIM_METRICS("workload/batch",
               {{"{instance}.units_done", K::Counter, "count", "work units completed"},
                {"{instance}.makespan_ms", K::Derived, "ms",
                 "time until the last job finished (absent if cut by the stop time)"}});
HETSIM_METRICS(
    "workload/loop",
    {{"loop.{label}.wakeup_latency", K::Histogram, "us", "wakeup latency of the loop's threads"},
     {"loop.{label}.cpu_ms", K::Derived, "ms", "CPU time the loop's threads got"},
     {"loop.{label}.cpu_share", K::Derived, "ratio", "CPU time over elapsed time times threads"}});
HETSIM_METRICS("workload/sync", {{"sync.{label}.syncs", K::Derived, "count",
                                  "synchronisations (barrier rounds or ping-pong exchanges)"},
                                 {"sync.{label}.sync_ns", K::Derived, "ns",
                                  "elapsed time per synchronisation of one pair or barrier"},
                                 {"sync.{label}.spin_share", K::Derived, "ratio",
                                  "share of the CPU time not spent on the work between "
                                  "synchronisations (spinning, hand-over)"}});
HETSIM_METRICS("workload/page_fault",
               {{"page_fault.{label}.faults_per_s", K::Derived, "1/s", "page faults per second"},
                {"page_fault.{label}.flushes", K::Derived, "count",
                 "TLB flushes the MADV_DONTNEED calls caused"},
                {"page_fault.{label}.flush_wait_ns", K::Derived, "ns", "mean wait for one flush"},
                {"page_fault.{label}.lru_drains", K::Derived, "count", "per-CPU LRU batch drains"},
                {"page_fault.{label}.lru_lock_share", K::Derived, "ratio",
                 "time spent waiting for or holding the LRU lock"},
                {"page_fault.{label}.tlb_cpu_share", K::Derived, "ratio",
                 "CPU time spent on TLB work"}});

}  // namespace
