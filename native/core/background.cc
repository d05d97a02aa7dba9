#include "core/background.h"

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

// The queue is deliberately never destroyed and the thread detached: destroying a mutex or a
// condition variable that a thread still waits on at exit is undefined behaviour, and joining
// would make process exit wait for slow unlinks.
Queue* SharedQueue() {
  static Queue* queue = [] {
    auto* created = new Queue();
    std::thread(Drain, created).detach();
    return created;
  }();
  return queue;
}

}  // namespace

void RunInBackground(std::function<void()> task) {
  Queue* queue = SharedQueue();
  {
    std::lock_guard<std::mutex> lock(queue->mutex);
    queue->tasks.push_back(std::move(task));
  }
  queue->ready.notify_one();
}

}  // namespace rivulet
