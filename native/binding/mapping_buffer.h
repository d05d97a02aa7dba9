// The buffer that zero-copy reads are sliced from: one per segment mapping, over all of it.
//
// V8 counts the whole length of an ArrayBuffer with memory of its own (a deleter) as memory the
// isolate owns, and answers each 64 MiB of growth with a full collection. An ArrayBuffer over a
// 1 GiB mapping cost a broker four full collections, 25-50 ms, on the first read of every segment,
// and with many partitions the count climbed into terabytes. It is not memory a collection could
// win back: the pages belong to the file, the kernel reclaims them on its own, and the segment
// keeps the mapping for as long as it is open anyway.
//
// V8 leaves a SharedArrayBuffer out of that count, so the buffer is one: made with V8's own API
// (Node-API has no external SharedArrayBuffer), with a deleter that lets go of the mapping once
// the last holder of its backing store does. A SharedArrayBuffer also cannot be detached, and
// postMessage shares it instead of moving it, so every holder in every thread keeps the mapping.
#pragma once

#include <napi.h>

#include <memory>

#include "core/mapped_file.h"

namespace rivulet {

// A SharedArrayBuffer over `file`'s whole read-only mapping that keeps the mapping alive while
// anything holds it; an empty value (no exception pending) when this runtime cannot make one.
Napi::Value NewMappingBuffer(Napi::Env env, const std::shared_ptr<MappedFile>& file);

// Asks V8 for a full collection soon (incremental, not here and now). Uncounted, a mapping buffer
// that turned to garbage gives V8 no reason to collect: a destroyed segment's files would wait for
// the next full collection, which an idle broker may not run for hours, to be deleted or recycled.
void CollectMappingBuffersSoon();

}  // namespace rivulet
