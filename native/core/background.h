// One process-wide background thread for work that must not run on the event loop and has no
// caller waiting for it: today, unmapping and unlinking destroyed segments (freeing the extents of
// a 1 GiB file can take tens of milliseconds on ext4).
#pragma once

#include <functional>

namespace rivulet {

// Queues `task`; tasks run one at a time, in order. If the process exits first, queued tasks are
// dropped: a `.deleted` file may then survive, and the partition log removes those when it opens
// the directory.
void RunInBackground(std::function<void()> task);

}  // namespace rivulet
