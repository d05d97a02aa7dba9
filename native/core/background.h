// Process-wide background threads for work that must not run on the event loop and has no caller
// waiting for it. Each lane is one thread running its tasks one at a time, in order; lanes never
// wait for each other:
//   - kCleanup: unmapping and unlinking destroyed segments (freeing the extents of a 1 GiB file
//     can take tens of milliseconds on ext4);
//   - kWriteAhead: faulting in the pages ahead of active segments' writers and starting the
//     writeback of what they wrote (core/write_ahead.h). Kept apart so a slow unlink never leaves
//     a writer to take its own page faults.
#pragma once

#include <functional>

namespace rivulet {

enum class BackgroundLane { kCleanup, kWriteAhead };

// Queues `task` on `lane`. If the process exits first, queued tasks are dropped: a `.deleted` file
// may then survive (the partition log removes those when it opens the directory), and pages that
// were not prefaulted are faulted by the writer.
void RunInBackground(BackgroundLane lane, std::function<void()> task);
inline void RunInBackground(std::function<void()> task) { RunInBackground(BackgroundLane::kCleanup, std::move(task)); }

}  // namespace rivulet
