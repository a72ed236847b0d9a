// BullMQ's retry rules, computed in the worker as BullMQ does: whether a failed attempt runs
// again, and after how long. Pure functions: thread-safe.
#pragma once

#include <cstdint>

#include "queue/job.h"

namespace vg::queue {

// True when a job that has made `attempts_made` attempts before this failure should run again:
// attempts_made + 1 < attempts (so attempts 0 or 1 never retry).
bool ShouldRetry(const JobOptions& options, int64_t attempts_made);

// The delay before the next attempt, where `attempts_made` counts attempts before this failure
// (k = attempts_made + 1) and `random01` is uniform in [0, 1):
//   fixed d: d;  exponential: round(2^(k-1) * d);  with jitter j: floor(r*M*j + M*(1-j)).
int64_t BackoffDelayMs(const Backoff& backoff, int64_t attempts_made, double random01);

}  // namespace vg::queue
