// The JavaScript `DirLock` class (NativeDirLock in src/log/native.ts): `new DirLock(dir)` takes the
// exclusive lock on `<dir>/.lock` (core/dir_lock.h) or throws a StorageError (ELOCKED when another
// process, or another DirLock in this one, holds it); `release()` drops it. Argument checks and
// conversions only.
//
// The lock is also dropped when the object is garbage collected, and by the kernel when the
// process dies; src/log/dir-lock.ts keeps the object for as long as the data directory is open.
#pragma once

#include <napi.h>

#include <memory>

#include "core/dir_lock.h"

namespace rivulet {

class DirLockWrap : public Napi::ObjectWrap<DirLockWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit DirLockWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value GetPath(const Napi::CallbackInfo& info);
  Napi::Value GetHeld(const Napi::CallbackInfo& info);
  Napi::Value Release(const Napi::CallbackInfo& info);

  // Null only if construction failed (the object is then never handed to JavaScript).
  std::unique_ptr<DirLock> lock_;
};

}  // namespace rivulet
