#include "core/background.h"

#include <pthread.h>
#include <sched.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace rivulet {
namespace {

struct Queue {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::function<void()>> tasks;
};

void Drain(Queue* queue) {
#if defined(__linux__)
  // SCHED_BATCH: a background lane never preempts the event loop when it wakes up (the event loop
  // wakes it, and the scheduler tends to place a wakee on the waker's CPU); it only runs beside
  // it, or in turn on a busy machine. Measured on two cores under load: the event loop's
  // involuntary context switches fell to a fifth. Best effort: a refusal changes nothing else.
  struct sched_param param = {};
  sched_setscheduler(0, SCHED_BATCH, &param);
#endif
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(queue->mutex);
      queue->ready.wait(lock, [queue] { return !queue->tasks.empty(); });
      task = std::move(queue->tasks.front());
      queue->tasks.pop_front();
    }
    task();
  }
}

Queue* StartQueue(const char* name) {
  auto* created = new Queue();
  std::thread thread(Drain, created);
#if defined(__linux__)
  pthread_setname_np(thread.native_handle(), name);  // shows in top -H, perf and /proc (15 chars)
#endif
  thread.detach();
  return created;
}

// The queues are deliberately never destroyed and the threads detached: destroying a mutex or a
// condition variable that a thread still waits on at exit is undefined behaviour, and joining
// would make process exit wait for slow unlinks. Each lane's thread starts on its first task.
Queue* SharedQueue(BackgroundLane lane) {
  if (lane == BackgroundLane::kWriteAhead) {
    static Queue* writeAhead = StartQueue("rivulet-ahead");
    return writeAhead;
  }
  static Queue* cleanup = StartQueue("rivulet-cleanup");
  return cleanup;
}

}  // namespace

void RunInBackground(BackgroundLane lane, std::function<void()> task) {
  Queue* queue = SharedQueue(lane);
  {
    std::lock_guard<std::mutex> lock(queue->mutex);
    queue->tasks.push_back(std::move(task));
  }
  queue->ready.notify_one();
}

}  // namespace rivulet
